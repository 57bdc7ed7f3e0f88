package dev.tollgate.gateway.dashboard;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Headless Chromium driven by the system's chromedriver (Debian: {@code apt-get install chromium chromium-driver};
 * .ci/run installs both). {@code TOLLGATE_CHROMIUM} and {@code TOLLGATE_CHROMEDRIVER} point elsewhere. Without
 * them the browser tests are skipped with a message, except under CI.
 */
final class Chromium {

    private Chromium() {
    }

    static ChromeDriver start() {
        String binary = env("TOLLGATE_CHROMIUM", "/usr/bin/chromium");
        String driver = env("TOLLGATE_CHROMEDRIVER", "/usr/bin/chromedriver");
        if (!new File(binary).canExecute() || !new File(driver).canExecute()) {
            String missing = "the dashboard's browser tests need " + binary + " and " + driver
                    + " (apt-get install chromium chromium-driver)";
            // a newcomer's run skips them and says why; CI (which installs both) must not pass without them
            if ("true".equals(System.getenv("CI"))) throw new IllegalStateException(missing);
            Assumptions.abort("skipped: " + missing);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(binary);
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-dev-shm-usage", "--window-size=1280,1000", "--hide-scrollbars");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(driver))
                .usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    /**
     * Saves what the browser shows as {@code name} under target/dashboard-screenshots, and also under the folder
     * named by the system property {@code dashboard.screenshots} when set (the README's pictures are made so).
     */
    static void screenshot(ChromeDriver browser, String name) throws IOException {
        byte[] png = browser.getScreenshotAs(OutputType.BYTES);
        Path local = Path.of("target", "dashboard-screenshots");
        Files.createDirectories(local);
        Files.write(local.resolve(name), png);
        String docs = System.getProperty("dashboard.screenshots");
        if (docs != null && !docs.isBlank()) {
            Files.createDirectories(Path.of(docs));
            Files.write(Path.of(docs, name), png);
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
