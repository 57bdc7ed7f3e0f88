package dev.tollgate.gateway.dashboard;

import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard's Routes view in headless Chromium: each deployment's circuit as GET /admin/routes reports it. */
class RoutesViewBrowserTest {

    @TempDir
    static Path data;
    static TestBed bed;
    static ChromeDriver browser;

    @BeforeAll
    static void start() throws Exception {
        bed = new TestBed(data, """
                routes:
                  - name: mini
                    retries: 0
                    circuit_breaker: {window: 1, min_calls: 1, open_ms: 600000}
                    deployments: [{provider: broken, model: gpt-4o-mini}, {provider: sandbox, model: gpt-4o-mini}]
                """);
        browser = Chromium.start();
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.quit();
        bed.close();
    }

    @Test
    void showsEachDeploymentsCircuit() throws Exception {
        var answer = bed.post("/v1/chat/completions", "{\"model\":\"mini\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "authorization", "Bearer " + TestBed.KEY);
        assertThat(answer.statusCode()).isEqualTo(200);

        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(15));
        browser.get(bed.url() + "/#routes");
        wait.until(d -> d.findElement(By.id("login")).isDisplayed());
        browser.findElement(By.id("token")).sendKeys(TestBed.ADMIN);
        browser.findElement(By.cssSelector("#login-form button")).click();
        wait.until(d -> "routes".equals(d.findElement(By.id("view")).getDomAttribute("data-ready")));

        WebElement table = browser.findElement(By.cssSelector("[data-testid='route-mini']"));
        List<String> rows = table.findElements(By.cssSelector("tbody tr")).stream().map(WebElement::getText).toList();
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0)).startsWith("broken/gpt-4o-mini").contains("open");
        assertThat(rows.get(1)).startsWith("sandbox/gpt-4o-mini").contains("closed");
        assertThat(browser.findElement(By.cssSelector("nav a[data-view='routes']")).getDomAttribute("class")).contains("active");
    }
}
