package dev.tollgate.planner.gpu;

import org.junit.jupiter.api.Test;

import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CalibrationTest {

    static final Gpu H100 = Gpu.named("h100").orElseThrow();
    static final ModelShape LLAMA_8B = ModelShape.named("llama-3-8b").orElseThrow();

    static List<Calibration.Measurement> measurements() throws Exception {
        try (var in = CalibrationTest.class.getResourceAsStream("/calibration/h100-llama3-8b-bf16.csv")) {
            return Calibration.read(new InputStreamReader(in, StandardCharsets.UTF_8));
        }
    }

    @Test
    void theModelIsWithinFifteenPercentOfEveryMeasurement() throws Exception {
        ThroughputModel model = new ThroughputModel(H100, 1, LLAMA_8B, Precision.BF16, Efficiency.H100_CALIBRATED);
        List<Calibration.Measurement> rows = measurements();
        assertThat(rows).hasSize(17);
        for (Calibration.Measurement m : rows) {
            double predicted = Calibration.predictMs(model, m);
            assertThat(Math.abs(predicted / m.msPerStep() - 1)).as("%s", m).isLessThan(0.15);
        }
    }

    @Test
    void fittingTheFileAgainGivesTheDocumentedFactors() throws Exception {
        Efficiency fitted = Calibration.fit(H100, LLAMA_8B, Precision.BF16, measurements());
        Efficiency documented = Efficiency.H100_CALIBRATED;
        assertThat(fitted.weightBandwidth()).isCloseTo(documented.weightBandwidth(), within(0.001));
        assertThat(fitted.kvBandwidth()).isCloseTo(documented.kvBandwidth(), within(0.001));
        assertThat(fitted.exposedCompute()).isCloseTo(documented.exposedCompute(), within(0.001));
        assertThat(fitted.prefillFlops()).isCloseTo(documented.prefillFlops(), within(0.001));
    }

    @Test
    void shapeArithmetic() {
        // 32 layers * (keys + values) * 8 kv heads * 128 dims * 2 bytes
        assertThat(LLAMA_8B.kvBytesPerToken()).isEqualTo(131_072);
        // the file's header: 15.01 GB of weights streamed per decode step (the input embedding is not)
        assertThat(LLAMA_8B.streamedParameters() * 2 / 1e9).isCloseTo(15.01, within(0.01));
        ThroughputModel model = new ThroughputModel(H100, 1, LLAMA_8B, Precision.BF16, Efficiency.H100_CALIBRATED);
        // 90% of 80 GB minus 16.06 GB of weights, over 2048 tokens * 131,072 bytes: 208.4 sequences
        assertThat(model.maxBatch(2048)).isEqualTo(208);
        // Llama-3-70B in bf16 (141 GB) needs two H100s
        assertThat(ThroughputModel.minimumGpus(H100, ModelShape.named("llama-3-70b").orElseThrow(), Precision.BF16, 4096)).isEqualTo(2);
        assertThat(ThroughputModel.minimumGpus(H100, ModelShape.named("llama-3-70b").orElseThrow(), Precision.FP8, 4096)).isEqualTo(1);
        // ten requests of 1000 in and 300 out: ten prefills of 1000 tokens, 3000 tokens decoded at batch 64, context 1150
        assertThat(model.busySeconds(10, 10_000, 3_000, 64)).isCloseTo(
                10 * model.prefillSeconds(1000) + 3000 * model.decodeStepSeconds(64, 1150) / 64, within(1e-12));
    }
}
