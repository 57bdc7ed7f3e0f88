package dev.tollgate.gateway.e2e;

import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** HTTP/1.1 on the client's socket, byte by byte: pipelining, 100-continue, HTTP/1.0 and requests that are not HTTP. */
class ClientWireTest extends EndToEnd {

    private static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.[01] (\\d{3}) ");

    @Test
    void pipelinedRequestsAreAnsweredInTheOrderTheyCame() throws Exception {
        try (Socket socket = connect()) {
            // a metered call (answered after a provider round trip), then two the gateway answers at once
            send(socket, chatHead(CHAT.length(), "") + CHAT
                    + "GET /no/such/path HTTP/1.1\r\nhost: x\r\n\r\n"
                    + "GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
            String all = readUntilClosed(socket);
            assertThat(statuses(all)).containsExactly(200, 404, 200);
            assertThat(all.indexOf("chat.completion")).isLessThan(all.indexOf("unknown_url"));
            assertThat(all).endsWith("{\"status\":\"ok\"}");
        }
    }

    @Test
    void aClientThatExpectsContinueGetsItBeforeSendingItsBody() throws Exception {
        try (Socket socket = connect()) {
            send(socket, chatHead(CHAT.length(), "expect: 100-continue\r\n"));
            assertThat(readLine(socket.getInputStream())).isEqualTo("HTTP/1.1 100 Continue");
            assertThat(readLine(socket.getInputStream())).isEmpty();
            send(socket, CHAT);
            assertThat(readLine(socket.getInputStream())).isEqualTo("HTTP/1.1 200 OK");
        }
    }

    @Test
    void http10IsAnsweredInKindAndKeptAliveOnlyWhenAsked() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "GET /health HTTP/1.0\r\n\r\n");
            String answer = readUntilClosed(socket);
            assertThat(answer).startsWith("HTTP/1.0 200 OK\r\n").contains("connection: close\r\n");
        }
        try (Socket socket = connect()) {
            send(socket, "GET /health HTTP/1.0\r\nconnection: keep-alive\r\n\r\n");
            assertThat(readLine(socket.getInputStream())).isEqualTo("HTTP/1.0 200 OK");
            // the same connection takes a second request
            send(socket, "GET /health HTTP/1.0\r\n\r\n");
            assertThat(statuses(readUntilClosed(socket))).containsExactly(200);
        }
    }

    @Test
    void whatIsNotHttpIsAnswered400AndTheConnectionClosed() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "HELLO THERE\r\n\r\n");
            String answer = readUntilClosed(socket);
            assertThat(statuses(answer)).containsExactly(400);
            assertThat(answer).contains("connection: close");
        }
        try (Socket socket = connect()) {
            send(socket, "GET /" + "a".repeat(9000) + " HTTP/1.1\r\nhost: x\r\n\r\n");
            assertThat(statuses(readUntilClosed(socket))).containsExactly(414);
        }
    }

    private static String chatHead(int length, String extra) {
        return "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer "
                + TestBed.KEY + "\r\ncontent-length: " + length + "\r\n" + extra + "\r\n";
    }

    private static Socket connect() throws IOException {
        URI uri = URI.create(bed.url());
        Socket socket = new Socket(uri.getHost(), uri.getPort());
        socket.setSoTimeout(20_000);
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    private static String readUntilClosed(Socket socket) throws IOException {
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) throw new IOException("closed mid-line: " + line);
            if (b != '\r') line.write(b);
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    private static List<Integer> statuses(String answers) {
        List<Integer> found = new ArrayList<>();
        Matcher m = STATUS_LINE.matcher(answers);
        while (m.find()) found.add(Integer.parseInt(m.group(1)));
        return found;
    }
}
