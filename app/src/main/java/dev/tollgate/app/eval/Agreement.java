package dev.tollgate.app.eval;

/**
 * How often the judge agrees with people on the answers both graded, and Cohen's kappa: the agreement beyond what two
 * graders passing at their own rates would reach by chance, (po - pe) / (1 - pe). Kappa is NaN when chance alone
 * explains every answer (both always pass, or both always fail).
 */
public record Agreement(int answers, int agreed, double kappa) {

    /** Counts of the four outcomes: judge pass/fail × people pass/fail. */
    public static Agreement of(int bothPass, int judgePassPeopleFail, int judgeFailPeoplePass, int bothFail) {
        int n = bothPass + judgePassPeopleFail + judgeFailPeoplePass + bothFail;
        if (n == 0) return new Agreement(0, 0, Double.NaN);
        double po = (bothPass + bothFail) / (double) n;
        double judgePass = (bothPass + judgePassPeopleFail) / (double) n;
        double peoplePass = (bothPass + judgeFailPeoplePass) / (double) n;
        double pe = judgePass * peoplePass + (1 - judgePass) * (1 - peoplePass);
        double kappa = pe == 1 ? Double.NaN : (po - pe) / (1 - pe);
        return new Agreement(n, bothPass + bothFail, kappa);
    }

    public double rate() {
        return answers == 0 ? Double.NaN : agreed / (double) answers;
    }
}
