package dev.tollgate.planner.math;

/** Solves the small normal-equation systems of a least-squares fit. */
public final class Linear {

    private Linear() {
    }

    /** Gaussian elimination with partial pivoting; a singular column (a weekday never seen) gets a zero coefficient. */
    public static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        double[][] m = new double[n][n + 1];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a[i], 0, m[i], 0, n);
            m[i][n] = b[i];
        }
        boolean[] singular = new boolean[n];
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
            double[] t = m[col]; m[col] = m[pivot]; m[pivot] = t;
            if (Math.abs(m[col][col]) < 1e-12) {
                singular[col] = true;
                continue;
            }
            for (int r = 0; r < n; r++) {
                if (r == col) continue;
                double f = m[r][col] / m[col][col];
                for (int c = col; c <= n; c++) m[r][c] -= f * m[col][c];
            }
        }
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = singular[i] ? 0 : m[i][n] / m[i][i];
        return x;
    }
}
