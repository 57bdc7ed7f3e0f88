package dev.tollgate.gateway.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.TestBed;
import dev.tollgate.store.LedgerEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard in a real headless Chromium: traffic goes through the gateway (and a few earlier days straight into
 * the ledger), then the page must show the same money the test added up itself from the gateway's
 * {@code x-tollgate-cost-usd} answers, a breakdown must narrow when clicked, and a request must open.
 */
class DashboardBrowserTest {

    static final String XSS = "<img src=x onerror=window.__xss=1>";

    @TempDir
    static Path data;
    static TestBed bed;
    static ChromeDriver browser;
    static WebDriverWait wait;

    /** What the test itself sent, one entry per request. */
    record Sent(String requestId, String team, String feature, String model, BigDecimal cost, Instant time) {
    }

    static final List<Sent> sent = new ArrayList<>();
    static LocalDate today;

    @BeforeAll
    static void start() throws Exception {
        // no fault tests here: a generous upstream timeout (the last one given wins), so a busy machine cannot fail the traffic
        bed = new TestBed(data, "  upstream_timeout_ms: 30000");
        today = LocalDate.now(ZoneOffset.UTC);
        for (int i = 0; i < 3; i++) chat(TestBed.KEY, "search", "gpt-4o-mini", "feature=chat");
        for (int i = 0; i < 2; i++) claude("search", "feature=summarize");
        for (int i = 0; i < 2; i++) chat(TestBed.OTHER_KEY, "ads", "gpt-4o-mini", "feature=chat,customer=" + XSS);
        chat(TestBed.OTHER_KEY, "ads", "fast", "feature=bidding");
        // earlier days of this month (and one row of last month, which no "this month" figure may count)
        for (int k = 1; k <= 3 && k < today.getDayOfMonth(); k++) {
            Instant t = today.minusDays(k).atTime(10, 0).toInstant(ZoneOffset.UTC);
            history("search", "gpt-4o", "feature=chat", new BigDecimal("1.25").multiply(BigDecimal.valueOf(k)), t);
            history("ads", "claude-sonnet-4-5", "feature=bidding", new BigDecimal("0.75"), t.plusSeconds(60));
        }
        Instant lastMonth = today.withDayOfMonth(1).atStartOfDay().toInstant(ZoneOffset.UTC).minusSeconds(3600);
        bed.ledger.append(entry("old-1", "search", "gpt-4o", "feature=chat", new BigDecimal("100"), lastMonth));
        bed.ledger.flush();
        browser = Chromium.start();
        wait = new WebDriverWait(browser, Duration.ofSeconds(15));
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.quit();
        if (bed != null) bed.close();
    }

    // ---- the tests ----

    @Test
    void overviewShowsTheLedgersSpendTodayThisMonthAndItsLinearProjection() throws Exception {
        open("overview");
        BigDecimal todaySpend = sum(s -> !s.time().isBefore(startOf(today)));
        BigDecimal month = sum(s -> !s.time().isBefore(startOf(today.withDayOfMonth(1))));
        BigDecimal forecast = month.multiply(BigDecimal.valueOf(today.lengthOfMonth()))
                .divide(BigDecimal.valueOf(today.getDayOfMonth()), 12, RoundingMode.HALF_UP);
        assertThat(todaySpend).isPositive();
        // the ledger holds what the gateway answered, so these are the ledger's figures too
        assertThat(bed.admin("/admin/spend?from=" + today.withDayOfMonth(1)).path("total").path("cost_usd").decimalValue())
                .isEqualByComparingTo(month);

        assertMoney(byTestId("spend-today"), todaySpend);
        assertMoney(byTestId("spend-month"), month);
        assertMoney(byTestId("forecast-month"), forecast);
        assertThat(browser.findElement(By.cssSelector(".card:nth-child(3) .card-sub")).getText())
                .isEqualTo("linear projection: month to date ÷ " + today.getDayOfMonth() + " days × " + today.lengthOfMonth() + " days");

        // top teams, biggest first, each with its month's spend
        Map<String, BigDecimal> teams = totals(s -> !s.time().isBefore(startOf(today.withDayOfMonth(1))), Sent::team);
        List<WebElement> rows = byTestId("top-team").findElements(By.cssSelector("tbody tr"));
        assertThat(rows).hasSize(teams.size());
        List<String> expectedOrder = teams.entrySet().stream().sorted(Map.Entry.<String, BigDecimal>comparingByValue().reversed())
                .map(Map.Entry::getKey).toList();
        for (int i = 0; i < rows.size(); i++) {
            List<WebElement> cells = rows.get(i).findElements(By.tagName("td"));
            assertThat(cells.get(0).getText()).isEqualTo(expectedOrder.get(i));
            assertMoney(cells.get(1).findElement(By.className("usd")), teams.get(expectedOrder.get(i)));
        }
        assertThat(byTestId("daily-chart").findElements(By.tagName("canvas"))).isNotEmpty();

        // panels fed by parts of the gateway that may be absent say so instead of breaking the page
        for (String[] p : new String[][] {{"/admin/budgets", "Budgets"}, {"/admin/alerts", "Alerts"}, {"/admin/audit", "Prompt audit findings"}}) {
            WebElement panel = browser.findElement(By.xpath("//section[h2='" + p[1] + "']"));
            if (status(p[0]) == 404) assertThat(panel.getText()).contains(p[1] + " not available on this gateway.");
            else assertThat(panel.findElements(By.cssSelector(".error"))).isEmpty();
        }
        JsonNode total = bed.admin("/admin/spend?from=" + today.withDayOfMonth(1)).path("total");
        if (total.has("saved_usd")) assertMoney(byTestId("savings"), total.path("saved_usd").decimalValue());
        else assertThat(byTestId("savings").getText()).isEqualTo("not available");
        // the strict Content-Security-Policy (no inline script or style) holds: the page needs nothing it forbids
        assertThat(browser.manage().logs().get("browser").getAll()).noneMatch(e -> e.getMessage().contains("Content Security Policy"));
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1180)); // the whole overview
        // README's overview picture comes from DashboardPanelsBrowserTest, whose gateway has budgets, alerts and an audit
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1000));
    }

    @Test
    void explorerBreaksDownByTeamAndAClickNarrowsToThatTeamsModels() throws Exception {
        open("explorer?group_by=team&period=month");
        var inMonth = (java.util.function.Predicate<Sent>) s -> !s.time().isBefore(startOf(today.withDayOfMonth(1)));
        assertTable(totals(inMonth, Sent::team));
        assertMoney(byTestId("explorer-total"), sum(inMonth));
        assertThat(byTestId("explorer-chart").findElements(By.tagName("canvas"))).isNotEmpty();

        WebElement table = byTestId("explorer-table");
        table.findElement(By.linkText("search")).click();
        wait.until(ExpectedConditions.stalenessOf(table));
        waitReady("explorer");
        assertThat(browser.getCurrentUrl()).contains("group_by=model").contains("f.team=search");
        assertThat(byTestId("filters").getText()).contains("team = search");
        assertThat(browser.findElement(By.cssSelector("[data-testid=explorer-table] th")).getText()).isEqualTo("model");
        assertTable(totals(s -> inMonth.test(s) && s.team().equals("search"), Sent::model));
        assertMoney(byTestId("explorer-total"), sum(s -> inMonth.test(s) && s.team().equals("search")));
        Chromium.screenshot(browser, "dashboard-explorer.png");

        // the form: team search by feature, then the filter removed
        WebElement groupBy = browser.findElement(By.id("group-by"));
        groupBy.clear();
        groupBy.sendKeys("feature");
        table = byTestId("explorer-table");
        browser.findElement(By.cssSelector("#explorer-form button[type=submit]")).click();
        wait.until(ExpectedConditions.stalenessOf(table));
        waitReady("explorer");
        assertTable(totals(s -> inMonth.test(s) && s.team().equals("search"), Sent::feature));
        table = byTestId("explorer-table");
        byTestId("filters").findElement(By.tagName("button")).click();
        wait.until(ExpectedConditions.stalenessOf(table));
        waitReady("explorer");
        assertTable(totals(inMonth, Sent::feature));
    }

    /** The page's money arithmetic, run in the browser, against BigDecimal. */
    @Test
    void moneyInThePageIsExactDecimalRoundedHalfUp() {
        open("overview");
        List<String> amounts = List.of("0", "0.000001", "0.0000005", "0.0000004999", "0.9999995", "0.999999499999", "1",
                "1.005", "1.004999999999", "-2.345", "1234567.895", "0.1", "1E-7", "2.5e3", "0.000000000001");
        @SuppressWarnings("unchecked")
        List<List<String>> shownInPage = (List<List<String>>) browser.executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import('/dashboard/money.js').then(m => done(arguments[0].map(a => [m.exact(m.parse(a)), m.format(m.parse(a))])));""",
                amounts);
        for (int i = 0; i < amounts.size(); i++) {
            BigDecimal a = new BigDecimal(amounts.get(i));
            assertThat(new BigDecimal(shownInPage.get(i).get(0))).as(amounts.get(i)).isEqualByComparingTo(a);
            assertThat(shownInPage.get(i).get(1)).as(amounts.get(i)).isEqualTo(shown(a));
        }
        // 0.1 + 0.2 is 0.3 here, not 0.30000000000000004; and the projection rounds at the ledger's twelfth decimal
        assertThat(browser.executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import('/dashboard/money.js').then(m => done([m.exact(m.add(m.parse('0.1'), m.parse('0.2'))),
                  m.exact(m.scale(m.parse('10'), 30, 7))]));""")).isEqualTo(List.of("0.3",
                new BigDecimal("10").multiply(BigDecimal.valueOf(30)).divide(BigDecimal.valueOf(7), 12, RoundingMode.HALF_UP).toPlainString()));
    }

    @Test
    void requestLogListsTheNewestFirstAndOpensOneRequest() throws Exception {
        open("requests");
        Sent newest = sent.stream().filter(s -> s.requestId().startsWith("req_")).reduce((a, b) -> b).orElseThrow();
        List<WebElement> rows = byTestId("request-log").findElements(By.cssSelector("tbody tr"));
        assertThat(rows).hasSize(sent.size() + 1); // and last month's row

        // a request that arrives while the page is open shows after Refresh
        chat(TestBed.OTHER_KEY, "ads", "fast", "feature=bidding");
        newest = sent.getLast();
        WebElement log = byTestId("request-log");
        browser.findElement(By.id("refresh")).click();
        wait.until(ExpectedConditions.stalenessOf(log));
        waitReady("requests");
        rows = byTestId("request-log").findElements(By.cssSelector("tbody tr"));
        assertThat(rows).hasSize(sent.size() + 1);
        WebElement first = rows.get(0);
        assertThat(first.findElement(By.className("request-id")).getText()).isEqualTo(newest.requestId());
        // asked for the alias "fast", answered by the model behind it: the log shows both, as metrics and spans name the first
        assertThat(newest.model()).isNotEqualTo("fast");
        assertThat(first.findElement(By.className("model")).getText()).isEqualTo("fast → " + newest.model());
        assertThat(rows.stream().map(r -> r.findElement(By.className("model")).getText()))
                .contains("gpt-4o-mini").noneMatch(m -> m.equals("gpt-4o-mini → gpt-4o-mini"));
        assertMoney(first.findElement(By.className("usd")), newest.cost());
        Chromium.screenshot(browser, "dashboard-requests.png");

        first.findElement(By.className("request-id")).click();
        waitReady("request");
        assertMoney(byTestId("request-cost"), newest.cost());
        assertThat(field("served model")).isEqualTo(newest.model());
        assertThat(field("team")).isEqualTo("ads");
        assertThat(field("feature")).isEqualTo("bidding");
        assertThat(field("exact cost")).isEqualTo("$" + newest.cost().stripTrailingZeros().toPlainString());
        Chromium.screenshot(browser, "dashboard-request.png");

        open("request/req_doesnotexist");
        assertThat(browser.findElement(By.id("view")).getText()).contains("The ledger has no request with this id.");
    }

    @Test
    void tagValuesAreShownAsTextAndNeverRun() throws Exception {
        open("explorer?group_by=customer&period=month");
        WebElement table = byTestId("explorer-table");
        assertThat(table.findElements(By.linkText(XSS))).hasSize(1);
        assertThat(table.findElements(By.tagName("img"))).isEmpty();
        String attacked = sent.stream().filter(s -> s.feature().equals("chat") && s.team().equals("ads")).findFirst().orElseThrow().requestId();
        open("request/" + attacked);
        assertThat(field("customer")).isEqualTo(XSS);
        assertThat(browser.findElements(By.cssSelector("#view img"))).isEmpty();
        assertThat(browser.executeScript("return window.__xss === undefined")).isEqualTo(true);
    }

    /**
     * Budgets, alerts and prompt audit come from other parts of the gateway; their answers are played here in the
     * shapes those endpoints send (money as decimal strings or numbers), in place of the endpoints this build lacks.
     */
    @Test
    void budgetsAlertsAndAuditFindingsAreShownFromTheirEndpoints() {
        open("requests");
        browser.executeScript("""
                const answers = {
                  '/admin/budgets': {budgets: [
                    {name: 'team-search', scope: 'team:search', period: 'month', limit_usd: '50', action: 'block',
                     thresholds: [60, 80, 95], time_zone: 'UTC', spent_usd: '42.5', reserved_usd: '0.1', remaining_usd: '7.4',
                     period_start: '2026-11-01T00:00:00Z', resets_at: '2026-12-01T00:00:00Z'},
                    {name: 'ads-daily', scope: 'team:ads', period: 'day', limit_usd: '10', action: 'block',
                     thresholds: [80], time_zone: 'UTC', spent_usd: '10', reserved_usd: '0', remaining_usd: '0',
                     period_start: '2026-11-26T00:00:00Z', resets_at: '2026-11-27T00:00:00Z'},
                    {name: 'lab', scope: 'key:lab', period: 'lifetime', limit_usd: '100', action: 'notify',
                     thresholds: [50], time_zone: 'UTC', spent_usd: '0.000123', reserved_usd: '0', remaining_usd: '99.999877',
                     period_start: null, resets_at: null}]},
                  '/admin/alerts': {alerts: [{time: '2026-11-26T01:02:03Z', kind: 'budget_threshold', subject: 'team-search',
                     message: '<b>80%</b> of budget team-search used', details: {threshold: '80'}}]},
                  '/admin/audit': {prompt_log_enabled: true, monthly_saving_usd: 1240.5, findings: [{type: 'long_history',
                     group: 'feature=support', model: 'gpt-4o', recommendation: 'keep the last 3 exchanges of history',
                     requests: 120, token_reduction_pct: 41, observed_saving_usd: 12.3, monthly_saving_usd: 1240.5, evidence: {}}],
                     token_shares: [], templates: []}};
                const real = window.fetch;
                window.fetch = (url, options) => {
                  const answer = answers[new URL(url, location.origin).pathname];
                  return answer ? Promise.resolve(new Response(JSON.stringify(answer), {status: 200})) : real(url, options);
                };
                location.hash = '#budgets';""");
        waitReady("budgets");
        List<List<String>> budgets = byTestId("budgets").findElements(By.cssSelector("tbody tr")).stream()
                .map(r -> r.findElements(By.tagName("td")).stream().map(WebElement::getText).toList()).toList();
        assertThat(budgets.get(0)).containsExactly("team-search", "team:search", "month", "$42.50", "$50.00", "85.0%", "past 80%", "2026-12-01 00:00:00Z");
        assertThat(budgets.get(1)).containsExactly("ads-daily", "team:ads", "day", "$10.00", "$10.00", "100.0%", "exhausted (block)", "2026-11-27 00:00:00Z");
        assertThat(budgets.get(2)).containsExactly("lab", "key:lab", "lifetime", "$0.000123", "$100.00", "0.0%", "ok", "never");

        browser.executeScript("location.hash = '#alerts'");
        waitReady("alerts");
        assertThat(byTestId("alerts").getText()).contains("budget_threshold", "team-search", "<b>80%</b> of budget team-search used", "threshold=80");
        assertThat(byTestId("alerts").findElements(By.tagName("b"))).isEmpty();

        browser.executeScript("location.hash = '#audit'");
        waitReady("audit");
        assertMoney(byTestId("audit-saving"), new BigDecimal("1240.5"));
        assertThat(byTestId("findings").getText()).contains("long_history", "feature=support", "keep the last 3 exchanges of history", "$1,240.50");
    }

    /**
     * A prompt audit with a 2,000-character system prompt: in a 1,400 px window no card spills out of the page, the
     * prompt shows cut with the whole a click away, and the chart's legend reads the latest day before any hover.
     */
    @Test
    void longPromptsStayInsideTheirCardsAndTheChartLegendReadsTheLatestDay() {
        String prompt = "You are the support assistant of Acme; answer politely and cite the policy. ".repeat(27).substring(0, 2000);
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(1400, 1000));
        try {
            open("requests");
            browser.executeScript("""
                    const prompt = arguments[0];
                    const answer = {prompt_log_enabled: true, monthly_saving_usd: '12.5', findings: [{type: 'big_system_prompt',
                       group: 'feature=support_and_returns_and_refunds', model: 'gpt-4o', requests: 1200, token_reduction_pct: 48,
                       recommendation: 'a 612-token system prompt carries the whole policy on every call; ' + prompt.slice(0, 300),
                       observed_saving_usd: '0.42', monthly_saving_usd: '12.5',
                       evidence: {system_prompt_template: prompt.slice(0, 200) + '…', system_tokens: 612, calls_per_day: 40}}],
                       token_shares: [{group: 'feature=support', requests: 1200, system_pct: 80, history_pct: 10, user_pct: 10}],
                       templates: [{kind: 'system', template: prompt, requests: 1200, input_tokens: 734400, output_tokens: 1200, cost_usd: '0.11'}]};
                    const real = window.fetch;
                    window.fetch = (url, options) => new URL(url, location.origin).pathname === '/admin/audit'
                      ? Promise.resolve(new Response(JSON.stringify(answer), {status: 200})) : real(url, options);
                    location.hash = '#overview';""", prompt);
            waitReady("overview");
            assertThat(byTestId("findings").getText()).contains("big_system_prompt", "$12.50");
            assertThat(browser.executeScript("return document.documentElement.scrollWidth")).as("page width")
                    .isEqualTo(browser.executeScript("return document.documentElement.clientWidth"));
            String legend = byTestId("daily-chart").findElement(By.className("u-legend")).getText();
            assertThat(legend).doesNotContain("—").contains(today.toString());

            browser.executeScript("location.hash = '#audit'");
            waitReady("audit");
            assertThat(browser.executeScript("return document.documentElement.scrollWidth"))
                    .isEqualTo(browser.executeScript("return document.documentElement.clientWidth"));
            WebElement template = byTestId("templates").findElement(By.cssSelector("tbody td details"));
            String cut = template.getText();
            assertThat(cut).endsWith("…").hasSizeLessThan(300);
            assertThat(prompt).startsWith(cut.substring(0, cut.length() - 1));
            template.findElement(By.tagName("summary")).click();
            assertThat(template.getText()).contains(prompt);
        } finally {
            browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1000));
        }
    }

    @Test
    void signInRefusesAWrongTokenAndSignOutForgetsTheToken() {
        browser.get(bed.url() + "/");
        browser.executeScript("sessionStorage.clear()");
        browser.navigate().refresh();
        WebElement token = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        assertThat(browser.findElement(By.id("nav")).isDisplayed()).isFalse();
        token.sendKeys("not-the-token");
        browser.findElement(By.cssSelector("#login-form button")).click();
        wait.until(ExpectedConditions.textToBe(By.id("login-error"), "The gateway refused this token."));
        assertThat(browser.executeScript("return sessionStorage.getItem('tollgate.adminToken')")).isNull();

        assertThat(browser.findElement(By.id("token")).getDomProperty("value")).as("a refused token is not kept").isEmpty();
        browser.findElement(By.id("token")).sendKeys(TestBed.ADMIN);
        browser.findElement(By.cssSelector("#login-form button")).click();
        waitReady("overview");
        assertThat(browser.findElement(By.id("nav")).isDisplayed()).isTrue();

        browser.findElement(By.id("sign-out")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        assertThat(browser.executeScript("return sessionStorage.getItem('tollgate.adminToken')")).isNull();
        assertThat(browser.findElement(By.id("view")).getText()).isEmpty();
    }

    // ---- traffic ----

    static void chat(String key, String team, String model, String tags) throws Exception {
        HttpResponse<String> r = bed.post("/v1/chat/completions",
                "{\"model\":\"" + model + "\",\"max_tokens\":12,\"messages\":[{\"role\":\"user\",\"content\":\"How much does this cost?\"}]}",
                "authorization", "Bearer " + key, "x-tollgate-tags", tags);
        record(r, team, tags);
    }

    static void claude(String team, String tags) throws Exception {
        HttpResponse<String> r = bed.post("/v1/messages",
                "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"Summarise the bill, please.\"}]}",
                "x-api-key", TestBed.KEY, "anthropic-version", "2023-06-01", "x-tollgate-tags", tags);
        record(r, team, tags);
    }

    static void record(HttpResponse<String> r, String team, String tags) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String id = r.headers().firstValue("x-tollgate-request-id").orElseThrow();
        BigDecimal cost = new BigDecimal(r.headers().firstValue("x-tollgate-cost-usd").orElseThrow());
        sent.add(new Sent(id, team, feature(tags), Json.parse(r.body()).path("model").asText(), cost, Instant.now()));
    }

    static void history(String team, String model, String tags, BigDecimal cost, Instant time) {
        String id = "hist-" + sent.size();
        bed.ledger.append(entry(id, team, model, tags, cost, time));
        sent.add(new Sent(id, team, feature(tags), model, cost, time));
    }

    static LedgerEntry entry(String id, String team, String model, String tags, BigDecimal cost, Instant time) {
        return new LedgerEntry(time, id, team + "-key", Map.of("team", team, "feature", feature(tags)), "openai.chat", "sandbox",
                model, model, model, new Usage(1000, 0, 0, 0, 200, 0), cost, model + "@test", 200, null, 80_000, 20_000, false, false);
    }

    static String feature(String tags) {
        return tags.replaceFirst("^feature=([^,]*).*$", "$1");
    }

    // ---- expectations, added up here rather than asked of the code under test ----

    static Instant startOf(LocalDate day) {
        return day.atStartOfDay().toInstant(ZoneOffset.UTC);
    }

    static BigDecimal sum(java.util.function.Predicate<Sent> which) {
        return sent.stream().filter(which).map(Sent::cost).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    static Map<String, BigDecimal> totals(java.util.function.Predicate<Sent> which, java.util.function.Function<Sent, String> by) {
        Map<String, BigDecimal> totals = new TreeMap<>();
        sent.stream().filter(which).forEach(s -> totals.merge(by.apply(s), s.cost(), BigDecimal::add));
        return totals;
    }

    /** The dashboard's money format: a dollar or more to the cent, less to six decimals (at least two), half up. */
    static String shown(BigDecimal amount) {
        BigDecimal abs = amount.abs();
        String digits;
        if (abs.compareTo(BigDecimal.ONE) >= 0) {
            DecimalFormat cents = new DecimalFormat("#,##0.00", DecimalFormatSymbols.getInstance(Locale.US));
            cents.setRoundingMode(RoundingMode.HALF_UP);
            digits = cents.format(abs);
        } else {
            BigDecimal micro = abs.setScale(6, RoundingMode.HALF_UP).stripTrailingZeros();
            digits = (micro.scale() < 2 ? micro.setScale(2) : micro).toPlainString();
        }
        return (amount.signum() < 0 ? "-$" : "$") + digits;
    }

    static void assertMoney(WebElement element, BigDecimal expected) {
        assertThat(new BigDecimal(element.getDomAttribute("data-usd"))).as("exact amount").isEqualByComparingTo(expected);
        assertThat(element.getText()).isEqualTo(shown(expected));
    }

    /** The explorer's table has exactly these groups, each with its spend, biggest first. */
    static void assertTable(Map<String, BigDecimal> expected) {
        Map<String, BigDecimal> shownRows = new LinkedHashMap<>();
        for (WebElement row : byTestId("explorer-table").findElements(By.cssSelector("tbody tr"))) {
            WebElement cost = row.findElement(By.cssSelector("td.cost .usd"));
            String name = row.findElement(By.tagName("td")).getText();
            assertThat(cost.getText()).isEqualTo(shown(new BigDecimal(cost.getDomAttribute("data-usd"))));
            shownRows.put(name, new BigDecimal(cost.getDomAttribute("data-usd")));
        }
        assertThat(shownRows.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        expected.forEach((name, cost) -> assertThat(shownRows.get(name)).as(name).isEqualByComparingTo(cost));
        List<BigDecimal> order = new ArrayList<>(shownRows.values());
        for (int i = 1; i < order.size(); i++) assertThat(order.get(i - 1)).isGreaterThanOrEqualTo(order.get(i));
    }

    // ---- the browser ----

    /** Opens a view, signing in with the admin token first when the tab has none. */
    static void open(String hash) {
        browser.get("about:blank"); // a fresh page load each time, not just a change of the fragment
        browser.get(bed.url() + "/#" + hash);
        String view = hash.replaceFirst("[/?].*$", "");
        wait.until(d -> d.findElement(By.id("login")).isDisplayed() || view.equals(d.findElement(By.id("view")).getDomAttribute("data-ready")));
        if (browser.findElement(By.id("login")).isDisplayed()) {
            browser.findElement(By.id("token")).sendKeys(TestBed.ADMIN);
            browser.findElement(By.cssSelector("#login-form button")).click();
        }
        waitReady(view);
    }

    static void waitReady(String view) {
        try {
            wait.until(d -> view.equals(d.findElement(By.id("view")).getDomAttribute("data-ready")));
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("the " + view + " view did not finish loading; the page shows: "
                    + browser.findElement(By.tagName("body")).getText() + "\nconsole: "
                    + browser.manage().logs().get("browser").getAll(), e);
        }
    }

    static WebElement byTestId(String id) {
        return browser.findElement(By.cssSelector("[data-testid='" + id + "']"));
    }

    static String field(String name) {
        return browser.findElement(By.cssSelector("dd[data-field='" + name + "']")).getText();
    }

    static int status(String path) throws Exception {
        return bed.http.send(HttpRequest.newBuilder(URI.create(bed.url() + path)).header("authorization", "Bearer " + TestBed.ADMIN).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
