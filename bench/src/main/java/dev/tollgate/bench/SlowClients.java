package dev.tollgate.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A slowloris client for bench/slowloris.sh: opens {@code count} connections to a port from a given loopback address
 * and keeps each one sending its request head a line at a time, never finishing it, for {@code seconds}. Prints how
 * many connections it opened, how many the server refused or closed, and how many were still open at the end.
 *
 * <pre>java -cp bench.jar dev.tollgate.bench.SlowClients PORT FROM_ADDRESS COUNT SECONDS</pre>
 */
public final class SlowClients {

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        InetAddress from = InetAddress.getByName(args[1]);
        int count = Integer.parseInt(args[2]);
        long seconds = Long.parseLong(args[3]);
        List<SocketChannel> open = new ArrayList<>(count);
        int failed = 0;
        byte[] head = "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n".getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < count; i++) {
            try {
                SocketChannel c = SocketChannel.open();
                c.bind(new InetSocketAddress(from, 0));
                c.connect(new InetSocketAddress("127.0.0.1", port));
                c.configureBlocking(false);
                c.write(ByteBuffer.wrap(head));
                open.add(c);
            } catch (IOException e) {
                failed++;
            }
        }
        System.out.printf("SLOW opened=%d failed_to_open=%d%n", open.size(), failed);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        int line = 0;
        ByteBuffer probe = ByteBuffer.allocate(4096);
        while (System.nanoTime() < end) {
            // one more header line on every connection every 2 s: never the blank line that ends the head
            byte[] more = ("x-slow-" + line++ + ": 1\r\n").getBytes(StandardCharsets.ISO_8859_1);
            int alive = 0;
            for (SocketChannel c : open) {
                if (!c.isOpen()) continue;
                try {
                    probe.clear();
                    if (c.read(probe) < 0) { // the server closed it
                        c.close();
                        continue;
                    }
                    c.write(ByteBuffer.wrap(more));
                    alive++;
                } catch (IOException e) {
                    c.close();
                }
            }
            System.out.printf("SLOW t=%ds still_open=%d%n", line * 2, alive);
            Thread.sleep(2000);
        }
        long stillOpen = open.stream().filter(SocketChannel::isOpen).count();
        System.out.printf("SLOW done opened=%d still_open=%d%n", open.size(), stillOpen);
        for (SocketChannel c : open) c.close();
    }
}
