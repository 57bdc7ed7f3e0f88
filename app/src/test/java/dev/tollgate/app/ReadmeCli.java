package dev.tollgate.app;

import com.sun.net.httpserver.HttpServer;

import java.io.FileOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The README test's {@code ./tollgate} for every command but serve and sandbox: one JVM, started in the test's clone (so
 * relative paths mean what they mean to a reader), runs each command the clone's launcher hands it, with the shell's
 * {@code TOLLGATE_*} variables, and writes its stdout and stderr to the files the launcher names. It saves a JVM start
 * per command (seconds each on a busy machine). A request: NUL-separated out file, err file, the number of variables,
 * the variables, the arguments; the answer: the exit status.
 */
public final class ReadmeCli {

    public static void main(String[] args) throws Exception {
        System.setProperty(Main.LOG_LEVEL, "warn");
        PrintStream stdout = System.out;
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/run", exchange -> {
            List<String> fields = Arrays.asList(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).split("\0", -1));
            int variables = Integer.parseInt(fields.get(2));
            Map<String, String> shell = new HashMap<>();
            for (String v : fields.subList(3, 3 + variables)) shell.put(v.substring(0, v.indexOf('=')), v.substring(v.indexOf('=') + 1));
            // printf '%s\0' ends with a NUL: the last (empty) field is not an argument
            String[] command = fields.subList(3 + variables, fields.size() - 1).toArray(String[]::new);
            int exit;
            PrintStream out = System.out, err = System.err;
            try (PrintStream o = new PrintStream(new FileOutputStream(fields.get(0)), true, StandardCharsets.UTF_8);
                 PrintStream e = new PrintStream(new FileOutputStream(fields.get(1)), true, StandardCharsets.UTF_8)) {
                System.setOut(o);
                System.setErr(e);
                Main.environment = name -> name.startsWith("TOLLGATE_") ? shell.get(name) : System.getenv(name);
                exit = Main.commandLine().execute(command);
            } catch (RuntimeException | Error e) {
                e.printStackTrace(out);
                exit = 70;
            } finally {
                System.setOut(out);
                System.setErr(err);
            }
            byte[] answer = Integer.toString(exit).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
        Path portFile = Path.of(args[0]);
        Files.writeString(Path.of(args[0] + ".tmp"), Integer.toString(server.getAddress().getPort()));
        Files.move(Path.of(args[0] + ".tmp"), portFile);
        stdout.println("README CLI runner on port " + server.getAddress().getPort());
    }
}
