package dev.tollgate.planner.gpu;

import dev.tollgate.planner.math.Linear;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * Fits {@link Efficiency} to measured step times: decode factors by least squares on the step-time equation of
 * {@link ThroughputModel} (linear in the reciprocals of the factors), the prefill factor as the mean of the
 * measured FLOP utilizations.
 */
public final class Calibration {

    /** One measurement: a decode step of {@code batch} sequences at {@code context}, or a prefill of batch×context tokens. */
    public record Measurement(String phase, int batch, int context, double msPerStep) {

        public boolean decode() {
            return phase.equals("decode");
        }
    }

    private Calibration() {
    }

    /** Reads the calibration CSV ({@code phase,batch,context,ms_per_step,…}; lines starting with # are comments). */
    public static List<Measurement> read(Reader in) throws IOException {
        List<Measurement> rows = new ArrayList<>();
        BufferedReader r = new BufferedReader(in);
        for (String line; (line = r.readLine()) != null; ) {
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("phase")) continue;
            String[] f = line.split(",");
            if (f.length < 4) throw new IOException("calibration row needs phase,batch,context,ms_per_step: " + line);
            rows.add(new Measurement(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]), Double.parseDouble(f[3])));
        }
        return rows;
    }

    public static Efficiency fit(Gpu gpu, ModelShape model, Precision precision, List<Measurement> rows) {
        ThroughputModel unit = new ThroughputModel(gpu, 1, model, precision, new Efficiency(1, 1, 1, 1));
        double bw = unit.bandwidth();
        // step = a·(W/B) + b·(n·c·kv/B) + e·(n·F/P), with a = 1/e_w, b = 1/e_kv: ordinary least squares on (a, b, e)
        double[][] ata = new double[3][3];
        double[] aty = new double[3];
        int prefillRows = 0;
        double prefillSum = 0;
        for (Measurement m : rows) {
            double seconds = m.msPerStep() / 1000;
            if (m.decode()) {
                double[] x = {unit.streamedWeightBytes() / bw, m.batch() * (double) m.context() * model.kvBytesPerToken() / bw,
                        m.batch() * model.flopsPerToken() / unit.peakFlops()};
                for (int i = 0; i < 3; i++) {
                    aty[i] += x[i] * seconds;
                    for (int j = 0; j < 3; j++) ata[i][j] += x[i] * x[j];
                }
            } else {
                prefillSum += unit.prefillSeconds((double) m.batch() * m.context()) / seconds;
                prefillRows++;
            }
        }
        double[] coef = Linear.solve(ata, aty);
        return new Efficiency(1 / coef[0], 1 / coef[1], coef[2], prefillRows == 0 ? 1 : prefillSum / prefillRows);
    }

    /** The model's predicted milliseconds for a measurement. */
    public static double predictMs(ThroughputModel model, Measurement m) {
        double s = m.decode() ? model.decodeStepSeconds(m.batch(), m.context()) : model.prefillSeconds((double) m.batch() * m.context());
        return s * 1000;
    }
}
