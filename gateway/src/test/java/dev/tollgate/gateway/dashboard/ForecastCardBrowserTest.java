package dev.tollgate.gateway.dashboard;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.TestBed;
import dev.tollgate.gateway.admin.AdminRoute;
import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The overview's month-end card in a real headless Chromium when the gateway serves {@code /admin/plan/forecast} (as
 * {@code tollgate serve} does with the planner's route; here a route answering in the same shape, so that the figures
 * the card must show are known): the planner's forecast and its interval, said to be that; the linear projection
 * when the planner has too little history.
 */
class ForecastCardBrowserTest {

    @TempDir
    static Path data;
    static TestBed bed;
    static ChromeDriver browser;
    static WebDriverWait wait;
    static final AtomicReference<ObjectNode> answer = new AtomicReference<>();

    @BeforeAll
    static void start() throws Exception {
        bed = new TestBed(data, "", null, List.of(new AdminRoute(HttpMethod.GET, "/admin/plan/forecast", call -> answer.get())));
        browser = Chromium.start();
        wait = new WebDriverWait(browser, Duration.ofSeconds(15));
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.quit();
        if (bed != null) bed.close();
    }

    static ObjectNode forecast(String spent, String expected, String low, String high) {
        ObjectNode body = Json.object().put("model", "planner: linear trend + weekday pattern");
        ObjectNode all = body.putArray("scopes").addObject().put("scope", "all").put("spent_usd", new BigDecimal(spent));
        if (expected == null) all.putNull("forecast_usd").putNull("low_usd").putNull("high_usd");
        else all.put("forecast_usd", new BigDecimal(expected)).put("low_usd", new BigDecimal(low)).put("high_usd", new BigDecimal(high));
        body.putArray("budgets");
        return body;
    }

    @Test
    void theCardShowsThePlannersForecastAndItsInterval() {
        answer.set(forecast("18", "1234.567891234567", "1100.004999", "1369.13"));
        open();
        WebElement value = byTestId("forecast-month");
        assertThat(new BigDecimal(value.getDomAttribute("data-usd"))).isEqualByComparingTo("1234.567891234567");
        assertThat(value.getText()).isEqualTo("$1,234.57");
        assertThat(byTestId("forecast-low").getText()).isEqualTo("$1,100.00");
        assertThat(byTestId("forecast-high").getText()).isEqualTo("$1,369.13");
        assertThat(card().findElement(By.className("card-sub")).getText())
                .isEqualTo("planner forecast (trend + weekday pattern), 95% interval $1,100.00 – $1,369.13");
        assertThat(browser.manage().logs().get("browser").getAll()).noneMatch(e -> e.getMessage().contains("Content Security Policy"));
    }

    @Test
    void tooLittleHistoryFallsBackToTheLinearProjectionAndSaysWhy() {
        answer.set(forecast("0", null, null, null));
        open();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        // an empty ledger: the month so far is $0, and so is its projection
        assertThat(byTestId("forecast-month").getDomAttribute("data-usd")).isEqualTo("0");
        assertThat(card().findElement(By.className("card-sub")).getText()).isEqualTo("linear projection: month to date ÷ "
                + today.getDayOfMonth() + " days × " + today.lengthOfMonth() + " days (too little history for the planner forecast)");
        assertThat(byTestId("forecast-low", true)).isEmpty();
    }

    static WebElement card() {
        return browser.findElement(By.xpath("//div[@class='card'][div[@class='card-title']='Forecast month-end']"));
    }

    static WebElement byTestId(String id) {
        return browser.findElement(By.cssSelector("[data-testid='" + id + "']"));
    }

    static List<WebElement> byTestId(String id, boolean all) {
        return browser.findElements(By.cssSelector("[data-testid='" + id + "']"));
    }

    static void open() {
        browser.get("about:blank");
        browser.get(bed.url() + "/#overview");
        wait.until(d -> d.findElement(By.id("login")).isDisplayed() || "overview".equals(d.findElement(By.id("view")).getDomAttribute("data-ready")));
        if (browser.findElement(By.id("login")).isDisplayed()) {
            browser.findElement(By.id("token")).sendKeys(TestBed.ADMIN);
            browser.findElement(By.cssSelector("#login-form button")).click();
        }
        wait.until(d -> "overview".equals(d.findElement(By.id("view")).getDomAttribute("data-ready")));
    }
}
