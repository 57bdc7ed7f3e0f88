package dev.tollgate.app;

import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * examples/replicas/compose.yaml cannot be run where Tollgate is built and tested (no Docker daemon, no image registry),
 * so it is checked statically: every replica runs what README's plain commands run, on the same config, which parses
 * to a shared ledger, shared budgets and a shared cache on the compose file's own PostgreSQL and Redis; nginx balances
 * over exactly the three replicas, on the port they listen on; the images can run what the build produces.
 */
class ComposeFileTest {

    private static final Path DIR = Path.of("..", "examples", "replicas");
    private static final String CONFIG = "examples/replicas/tollgate.yaml";
    private static final List<String> REPLICAS = List.of("gateway1", "gateway2", "gateway3");

    @Test
    @SuppressWarnings("unchecked")
    void composeRunsWhatThePlainCommandsRunOnTheSameConfig() throws Exception {
        // SnakeYAML, as Compose, resolves the anchor and its << merges
        Map<String, Object> compose = new Yaml().load(Files.readString(DIR.resolve("compose.yaml")));
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
        assertThat(services).containsKeys("postgres", "redis", "build", "sandbox", "nginx").containsKeys(REPLICAS.toArray(String[]::new));
        String jar = jarOf((List<String>) services.get("build").get("command"));

        Map<String, String> postgresEnv = (Map<String, String>) services.get("postgres").get("environment");
        Set<String> dataVolumes = new LinkedHashSet<>();
        for (String name : REPLICAS) {
            Map<String, Object> replica = services.get(name);
            String command = String.join(" ", (List<String>) replica.get("command"));
            assertThat(command).as(name).contains("-jar " + jar + " serve --config " + CONFIG + " --port 4000 --data /data");
            Map<String, String> env = (Map<String, String>) replica.get("environment");
            assertThat(env).containsKeys("TOLLGATE_ADMIN_TOKEN", "TOLLGATE_PG_URL", "REDIS_URL");
            // the database and cache are the compose file's own services, with the credentials postgres was given
            URI pg = URI.create(env.get("TOLLGATE_PG_URL"));
            assertThat(pg.getHost()).isEqualTo("postgres");
            assertThat(pg.getUserInfo()).isEqualTo(postgresEnv.get("POSTGRES_USER") + ":" + postgresEnv.get("POSTGRES_PASSWORD"));
            assertThat(pg.getPath()).isEqualTo("/" + postgresEnv.get("POSTGRES_DB"));
            assertThat(URI.create(env.get("REDIS_URL")).getHost()).isEqualTo("redis");
            assertThat((Map<String, Object>) replica.get("depends_on")).containsKeys("build", "postgres", "redis", "sandbox");
            // each replica its own data directory (its journal of rows not yet in PostgreSQL)
            String data = ((List<String>) replica.get("volumes")).stream().filter(v -> v.endsWith(":/data")).findFirst().orElseThrow();
            dataVolumes.add(data);

            GatewayConfig config = new ConfigLoader(env::get).parse(Files.readString(DIR.resolve("tollgate.yaml")));
            assertThat(config.ledger().shared()).isTrue();
            assertThat(config.ledger().postgres().url()).isEqualTo(env.get("TOLLGATE_PG_URL"));
            assertThat(config.controls().redis().url()).isEqualTo(env.get("REDIS_URL"));
            assertThat(config.cache().redis().url()).isEqualTo(env.get("REDIS_URL"));
            assertThat(config.providers().get("sandbox").baseUrl()).isEqualTo("http://sandbox:9000/v1");
        }
        assertThat(dataVolumes).hasSize(REPLICAS.size());
        assertThat(String.join(" ", (List<String>) services.get("sandbox").get("command"))).contains("-jar " + jar + " sandbox --port 9000");

        // nginx balances over the three replicas on the port they listen on, and listens where compose publishes it
        String nginx = Files.readString(DIR.resolve("nginx.conf"));
        assertThat(servers(nginx, "server (gateway\\d):(\\d+)")).containsExactlyInAnyOrderElementsOf(
                REPLICAS.stream().map(r -> r + ":4000").toList());
        assertThat(nginx).contains("listen 4000;");
        assertThat((List<String>) services.get("nginx").get("ports")).containsExactly("4000:4000");
        assertThat(((List<String>) services.get("nginx").get("volumes")).getFirst()).startsWith("./nginx.conf:");

        // the JDK image runs what the build compiles (maven.compiler.release)
        Matcher release = Pattern.compile("<maven.compiler.release>(\\d+)<").matcher(Files.readString(Path.of("..", "pom.xml")));
        assertThat(release.find()).isTrue();
        for (String name : List.of("build", "gateway1", "sandbox")) {
            Matcher jdk = Pattern.compile("eclipse-temurin:(\\d+)-jdk").matcher((String) services.get(name).get("image"));
            assertThat(jdk.matches()).as(name).isTrue();
            assertThat(Integer.parseInt(jdk.group(1))).as(name).isGreaterThanOrEqualTo(Integer.parseInt(release.group(1)));
        }

        // README's plain commands: the same serve command on the same config, one data directory and port per replica,
        // and nginx's config rewritten (by README's own sed) to exactly those ports
        String readme = Files.readString(Path.of("..", "README.md"));
        String section = readme.substring(readme.indexOf("**The same as plain commands**"));
        int block = section.indexOf("```bash") + "```bash".length();
        String plain = section.substring(block, section.indexOf("```", block));
        Matcher serve = Pattern.compile("\\./tollgate serve --config (\\S+) --port (\\d+) --data (\\S+)").matcher(plain);
        List<String> ports = new ArrayList<>();
        Set<String> dirs = new LinkedHashSet<>();
        while (serve.find()) {
            assertThat(serve.group(1)).isEqualTo(CONFIG);
            ports.add("127.0.0.1:" + serve.group(2));
            dirs.add(serve.group(3));
        }
        assertThat(ports).hasSize(REPLICAS.size());
        assertThat(dirs).hasSize(REPLICAS.size());
        Matcher sed = Pattern.compile("sed 's/(.+?)/(.+?)/' examples/replicas/nginx.conf").matcher(plain);
        assertThat(sed.find()).as("README rewrites nginx.conf with sed").isTrue();
        String rewritten = nginx.replaceAll(sed.group(1).replace("\\(", "(").replace("\\)", ")"), sed.group(2).replace("\\1", "$1"));
        assertThat(servers(rewritten, "server (127\\.0\\.0\\.1):(\\d+)")).containsExactlyInAnyOrderElementsOf(ports);
        assertThat(plain).contains("./tollgate sandbox --port 9000").contains("PROVIDER_URL=http://127.0.0.1:9000/v1");
        Map<String, String> plainEnv = new HashMap<>(Map.of("TOLLGATE_ADMIN_TOKEN", "change-me",
                "PROVIDER_URL", "http://127.0.0.1:9000/v1", "TOLLGATE_PG_URL", "postgres://postgres@127.0.0.1:5432/test",
                "REDIS_URL", "redis://127.0.0.1:6379"));
        plainEnv.forEach((k, v) -> assertThat(plain).contains(k + "=" + v));
        GatewayConfig config = new ConfigLoader(plainEnv::get).parse(Files.readString(DIR.resolve("tollgate.yaml")));
        assertThat(config.providers().get("sandbox").baseUrl()).isEqualTo("http://127.0.0.1:9000/v1");
        assertThat(config.ledger().postgres().url()).isEqualTo(plainEnv.get("TOLLGATE_PG_URL"));
        assertThat(config.cache().redis().prefix()).isEqualTo("tollgate:cache:");
    }

    /** The jar the build service's Maven command produces (app's finalName), as the replicas run it. */
    private static String jarOf(List<String> buildCommand) throws Exception {
        assertThat(buildCommand).contains("package").contains("app");
        Matcher name = Pattern.compile("<finalName>(.+?)</finalName>").matcher(Files.readString(Path.of("pom.xml")));
        assertThat(name.find()).as("app/pom.xml names its jar").isTrue();
        return "app/target/" + name.group(1) + ".jar";
    }

    private static List<String> servers(String nginx, String pattern) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(pattern).matcher(nginx);
        while (m.find()) out.add(m.group(1) + ":" + m.group(2));
        return out;
    }
}
