package dev.tollgate.gateway.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.EncodingType;
import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.tollgate.gateway.dashboard.DashboardBrowserTest.shown;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard's budgets, alerts and prompt-audit panels in a real headless Chromium, fed by a gateway with real
 * budgets and prompt logging: traffic goes through the gateway, and each panel must show the figures the test worked
 * out itself (spend from the gateway's {@code x-tollgate-cost-usd} answers, limits and periods from the config, the
 * audit's saving from the model's own tokenizer and list price) and the same rows the admin API lists.
 */
class DashboardPanelsBrowserTest {

    /** gpt-4o-mini's list input price, USD per token (openai.com/api/pricing: $0.15 per million). */
    static final BigDecimal MINI_IN = new BigDecimal("0.15").movePointLeft(6);
    static final BigDecimal SEARCH_LIMIT = new BigDecimal("0.00005");
    static final BigDecimal ADS_LIMIT = new BigDecimal("0.000001");

    @TempDir
    static Path data;
    static TestBed bed;
    static ChromeDriver browser;
    static WebDriverWait wait;
    static BigDecimal searchSpent = BigDecimal.ZERO, adsSpent = BigDecimal.ZERO, faqCost = BigDecimal.ZERO;
    static String faqSystem;
    static LocalDate today;

    @BeforeAll
    static void start() throws Exception {
        bed = new TestBed(data, """
                  upstream_timeout_ms: 30000
                prompt_log: {enabled: true, group_tag: feature}
                spend_controls:
                  time_zone: UTC
                  budgets:
                    - {name: search-monthly, scope: "team:search", period: monthly, limit_usd: "%s", thresholds: [25]}
                    - {name: ads-daily, scope: "team:ads", period: daily, limit_usd: "%s", action: notify}
                  runaway: {enabled: false}
                """.formatted(SEARCH_LIMIT.toPlainString(), ADS_LIMIT.toPlainString()));
        today = LocalDate.now(ZoneOffset.UTC);
        // team search (its key's tag): three short questions
        for (int i = 0; i < 3; i++) {
            searchSpent = searchSpent.add(chat(TestBed.KEY, "support", null, "Where is my parcel number " + i + "?"));
        }
        // team ads: a long policy as system prompt on three tiny questions, past its daily budget (notify lets them through)
        StringBuilder policy = new StringBuilder("You answer questions about the returns policy of Acme.");
        for (int rule = 1; rule <= 30; rule++) {
            policy.append(" Rule ").append(rule).append(": refunds are possible within thirty days of delivery when the item is unused and in its original packaging.");
        }
        faqSystem = policy.toString();
        for (String q : new String[] {"Can I return shoes?", "Is a refund possible?", "Do you refund opened boxes?"}) {
            BigDecimal cost = chat(TestBed.OTHER_KEY, "faq", faqSystem, q);
            faqCost = faqCost.add(cost);
            adsSpent = adsSpent.add(cost);
        }
        // earlier days of this month for the overview's chart (team ops: no budget here counts it)
        for (int k = 1; k <= 4 && k < today.getDayOfMonth(); k++) {
            Instant t = today.minusDays(k).atTime(9, 30).toInstant(ZoneOffset.UTC);
            bed.ledger.append(DashboardBrowserTest.entry("hist-" + k, "ops", "gpt-4o", "feature=reports",
                    new BigDecimal("0.00012").multiply(BigDecimal.valueOf(k)), t));
        }
        bed.ledger.flush();
        browser = Chromium.start();
        wait = new WebDriverWait(browser, Duration.ofSeconds(15));
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.quit();
        if (bed != null) bed.close();
    }

    static BigDecimal chat(String key, String feature, String system, String question) throws Exception {
        String messages = (system == null ? "" : "{\"role\":\"system\",\"content\":\"" + system + "\"},")
                + "{\"role\":\"user\",\"content\":\"" + question + "\"}";
        HttpResponse<String> r = bed.post("/v1/chat/completions",
                "{\"model\":\"gpt-4o-mini\",\"max_tokens\":5,\"messages\":[" + messages + "]}",
                "authorization", "Bearer " + key, "x-tollgate-tags", "feature=" + feature);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new BigDecimal(r.headers().firstValue("x-tollgate-cost-usd").orElseThrow());
    }

    @Test
    void budgetsShowWhatTheTrafficSpentAgainstTheConfiguredLimits() throws Exception {
        // the budgets hold exactly what the gateway answered that the requests cost
        JsonNode api = bed.admin("/admin/budgets").path("budgets");
        assertThat(new BigDecimal(budget(api, "search-monthly").path("spent_usd").asText())).isEqualByComparingTo(searchSpent);
        assertThat(new BigDecimal(budget(api, "ads-daily").path("spent_usd").asText())).isEqualByComparingTo(adsSpent);
        assertThat(searchSpent.multiply(BigDecimal.valueOf(4))).as("search is past its 25% threshold, under its limit")
                .isGreaterThanOrEqualTo(SEARCH_LIMIT);
        assertThat(searchSpent).isLessThan(SEARCH_LIMIT);

        List<String> search = List.of("search-monthly", "team:search", "monthly", shown(searchSpent), shown(SEARCH_LIMIT),
                percent(searchSpent, SEARCH_LIMIT), "past 25%", today.withDayOfMonth(1).plusMonths(1) + " 00:00:00Z");
        List<String> ads = List.of("ads-daily", "team:ads", "daily", shown(adsSpent), shown(ADS_LIMIT), "100.0%",
                "exhausted (notify)", today.plusDays(1) + " 00:00:00Z");

        open("budgets");
        assertThat(rows("budgets")).containsExactlyInAnyOrder(search, ads);
        Chromium.screenshot(browser, "dashboard-budgets.png");
        List<WebElement> money = byTestId("budgets").findElements(By.cssSelector("td .usd"));
        assertThat(money).extracting(m -> new BigDecimal(m.getDomAttribute("data-usd")))
                .usingElementComparator(BigDecimal::compareTo).containsExactlyInAnyOrder(searchSpent, SEARCH_LIMIT, adsSpent, ADS_LIMIT);

        // the overview's panel shows the same table
        open("overview");
        assertThat(rows("budgets")).containsExactlyInAnyOrder(search, ads);
    }

    @Test
    void alertsListWhatFiredAsTheAdminApiDoes() throws Exception {
        // search crossed its one threshold (25%); ads went past 60, 80, 95 and 100% of a notify budget, and the call
        // that took it past 100% could not be afforded by what was left (served anyway: the budget only notifies)
        List<JsonNode> fired = awaitAlerts(6);
        assertThat(fired).extracting(a -> a.path("subject").asText() + " " + a.path("kind").asText() + " "
                        + a.path("details").path("threshold_percent").asText())
                .containsExactlyInAnyOrder("search-monthly budget_threshold 25", "ads-daily budget_threshold 60",
                        "ads-daily budget_threshold 80", "ads-daily budget_threshold 95", "ads-daily budget_exceeded 100",
                        "ads-daily budget_refused ");

        open("alerts");
        assertRowsAre(rows("alerts"), fired);
        // the overview shows the same, newest first
        open("overview");
        assertRowsAre(rows("alerts"), fired);
    }

    @Test
    void auditFindingsAndTemplatesCarryTheTrafficsTokensAndCost() throws Exception {
        // a 600-token policy on 3 tiny questions: half of it is the saving, ×30 for a month from a window under a day
        long system = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE).countTokens(faqSystem);
        assertThat(system).isGreaterThan(500);
        BigDecimal monthly = MINI_IN.multiply(BigDecimal.valueOf(system * 3)).divide(BigDecimal.TWO)
                .multiply(BigDecimal.valueOf(30)).setScale(6, RoundingMode.HALF_EVEN);
        JsonNode api = bed.admin("/admin/audit");

        open("audit");
        Map<String, String> finding = row("findings", r -> r.get("type").equals("big_system_prompt"));
        assertThat(finding).containsEntry("group", "feature=faq").containsEntry("requests", "3")
                .containsEntry("monthly saving usd", shown(monthly));
        assertThat(finding.get("recommendation")).startsWith("a " + system + "-token system prompt carries");
        // the total is the sum of the findings the API lists, and the page lists them all
        BigDecimal total = BigDecimal.ZERO;
        for (JsonNode f : api.path("findings")) total = total.add(f.path("monthly_saving_usd").decimalValue());
        assertThat(total).isGreaterThanOrEqualTo(monthly);
        DashboardBrowserTest.assertMoney(byTestId("audit-saving"), total);
        assertThat(rows("findings")).hasSize(api.path("findings").size());

        // the overview's panel lists the same findings, with the same total
        open("overview");
        assertThat(row("findings", r -> r.get("type").equals("big_system_prompt"))).containsEntry("monthly saving usd", shown(monthly));
        DashboardBrowserTest.assertMoney(byTestId("audit-saving"), total);
        open("audit");

        // the policy is long: its cell shows the start, and the whole when opened
        Map<String, String> template = row("templates", r -> r.get("template").endsWith("…")
                && faqSystem.startsWith(r.get("template").substring(0, r.get("template").length() - 1)));
        assertThat(template).containsEntry("kind", "system").containsEntry("requests", "3").containsEntry("cost usd", shown(faqCost));
        Map<String, String> shares = row("token-shares", r -> r.get("group").equals("feature=faq"));
        assertThat(shares).containsEntry("requests", "3");
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1000));
        Chromium.screenshot(browser, "dashboard-audit.png");
    }

    /**
     * The overview of a gateway with budgets, alerts and prompt audit on, as README's tour configures one: every panel
     * shows its rows (none says "not available"), the chart's legend reads the latest day instead of dashes, and in a
     * 1,400 px window the page, findings included, keeps the window's width, as does the audit page, whose long system
     * prompt shows cut with the whole a click away. README's overview picture is taken here.
     */
    @Test
    void overviewWithEveryPanelAndTheAuditPageKeepTheWindowsWidth() throws Exception {
        awaitAlerts(6);
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(1400, 1500));
        try {
            open("overview");
            for (String title : new String[] {"Budgets", "Alerts", "Prompt audit findings"}) {
                WebElement panel = browser.findElement(By.xpath("//section[h2='" + title + "']"));
                assertThat(panel.getText()).as(title).doesNotContain("not available");
                assertThat(panel.findElements(By.cssSelector("tbody tr"))).as(title).isNotEmpty();
            }
            assertThat(rows("findings")).anySatisfy(r -> assertThat(r).contains("big_system_prompt"));
            long windowWidth = ((Number) browser.executeScript("return window.innerWidth")).longValue();
            assertThat(windowWidth).isEqualTo(1400);
            assertThat(((Number) browser.executeScript("return document.documentElement.scrollWidth")).longValue())
                    .as("page width in a 1,400 px window").isLessThanOrEqualTo(windowWidth);
            String legend = byTestId("daily-chart").findElement(By.className("u-legend")).getText();
            assertThat(legend).doesNotContain("—").contains(today.toString());
            // the picture holds the whole page: the window as tall as the page (its frame added)
            long height = ((Number) browser.executeScript("return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight")).longValue();
            browser.manage().window().setSize(new org.openqa.selenium.Dimension(1400, (int) height));
            Chromium.screenshot(browser, "dashboard-overview.png");

            // the audit page, all columns, in the same window: the long policy shows cut, and whole when opened
            browser.manage().window().setSize(new org.openqa.selenium.Dimension(1400, 1000));
            open("audit");
            assertThat(((Number) browser.executeScript("return document.documentElement.scrollWidth")).longValue())
                    .as("audit page width in a 1,400 px window").isLessThanOrEqualTo(windowWidth);
            WebElement policy = byTestId("templates").findElements(By.cssSelector("tbody td details")).stream()
                    .filter(d -> faqSystem.startsWith(d.getText().replace("…", ""))).findFirst().orElseThrow();
            assertThat(policy.getText()).endsWith("…").hasSizeLessThan(faqSystem.length() / 4);
            policy.findElement(By.tagName("summary")).click();
            WebElement whole = policy.findElement(By.className("long-full"));
            assertThat(whole.isDisplayed()).isTrue();
            // opened, the whole template the API lists (a long prompt's opening words: the audit mines no further);
            // it scrolls in a box of its own, so its text is read, not only what is in view
            String listed = null;
            for (JsonNode t : bed.admin("/admin/audit").path("templates")) {
                if (t.path("kind").asText().equals("system") && faqSystem.startsWith(t.path("template").asText())) listed = t.path("template").asText();
            }
            assertThat(listed).isNotNull().hasSizeGreaterThan(1000);
            assertThat(whole.getDomProperty("textContent")).isEqualTo(listed);
        } finally {
            browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1000));
        }
    }

    // ---- helpers ----

    static void assertRowsAre(List<List<String>> shownRows, List<JsonNode> alerts) {
        assertThat(shownRows).hasSize(alerts.size());
        for (int i = 0; i < alerts.size(); i++) {
            JsonNode a = alerts.get(i);
            assertThat(shownRows.get(i).subList(0, 4)).containsExactly(a.path("time").asText(), a.path("kind").asText(),
                    a.path("subject").asText(), a.path("message").asText());
        }
    }

    static JsonNode budget(JsonNode budgets, String name) {
        for (JsonNode b : budgets) if (b.path("name").asText().equals(name)) return b;
        throw new AssertionError("no budget " + name + " in " + budgets);
    }

    /** The share the page shows: spent ÷ limit in percent, one decimal. */
    static String percent(BigDecimal spent, BigDecimal limit) {
        return spent.multiply(BigDecimal.valueOf(100)).divide(limit, 1, RoundingMode.HALF_UP).toPlainString() + "%";
    }

    static List<List<String>> rows(String testId) {
        return byTestId(testId).findElements(By.cssSelector("tbody tr")).stream()
                .map(r -> r.findElements(By.tagName("td")).stream().map(WebElement::getText).toList()).toList();
    }

    /** The first row of a table whose cells, keyed by column heading, match. */
    static Map<String, String> row(String testId, java.util.function.Predicate<Map<String, String>> which) {
        WebElement table = byTestId(testId);
        List<String> heads = table.findElements(By.cssSelector("thead th")).stream().map(WebElement::getText).toList();
        for (List<String> cells : rows(testId)) {
            Map<String, String> r = new java.util.HashMap<>();
            for (int i = 0; i < heads.size(); i++) r.put(heads.get(i), cells.get(i));
            if (which.test(r)) return r;
        }
        throw new AssertionError("no such row in " + testId + ": " + rows(testId));
    }

    /** Opens a view, signing in with the admin token first when the tab has none. */
    static void open(String view) {
        browser.get("about:blank");
        browser.get(bed.url() + "/#" + view);
        wait.until(d -> d.findElement(By.id("login")).isDisplayed() || view.equals(d.findElement(By.id("view")).getDomAttribute("data-ready")));
        if (browser.findElement(By.id("login")).isDisplayed()) {
            browser.findElement(By.id("token")).sendKeys(TestBed.ADMIN);
            browser.findElement(By.cssSelector("#login-form button")).click();
        }
        try {
            wait.until(d -> view.equals(d.findElement(By.id("view")).getDomAttribute("data-ready")));
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("the " + view + " view did not load; the page shows: " + browser.findElement(By.tagName("body")).getText(), e);
        }
    }

    static WebElement byTestId(String id) {
        return browser.findElement(By.cssSelector("[data-testid='" + id + "']"));
    }

    static List<JsonNode> awaitAlerts(int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<JsonNode> out = new ArrayList<>();
            bed.admin("/admin/alerts?limit=200").path("alerts").forEach(out::add);
            if (out.size() >= count || System.nanoTime() > deadline) return out;
            Thread.sleep(25);
        }
    }
}
