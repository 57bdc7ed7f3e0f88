package dev.tollgate.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Where the journal's copy of a row into its memory-mapped segment goes ({@code LedgerJournal.append}): lines of a
 * row's size written into a segment as the journal writes them (a fresh file grown by {@code write(2)} of zeros in
 * 64 KB chunks), into a segment grown whole beforehand (the page faults of the first write to each page alone), and
 * into pages already written once (the copy alone). One thread's CPU per line, several rounds.
 *
 * <pre>java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" dev.tollgate.bench.JournalPageCost [line bytes] [rounds]</pre>
 */
public final class JournalPageCost {

    private static final int SEGMENT = 4 << 20;
    private static final int CHUNK = 64 << 10;
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        int lineBytes = args.length > 0 ? Integer.parseInt(args[0]) : 600;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        byte[] line = new byte[lineBytes];
        Arrays.fill(line, (byte) 'x');
        int lines = SEGMENT / lineBytes - 1;
        Path dir = Files.createTempDirectory("journal-pages");
        for (int round = 0; round < rounds + 2; round++) { // two rounds to warm up
            Path file = dir.resolve("fresh");
            double fresh, faults, copy;
            try (FileChannel ch = open(file)) {
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, SEGMENT);
                long c0 = CPU.getCurrentThreadCpuTime();
                int allocated = 0;
                for (int i = 0, pos = 0; i < lines; i++, pos += lineBytes) {
                    while (pos + lineBytes > allocated) allocated = grow(ch, allocated);
                    m.put(pos, line, 0, lineBytes);
                }
                fresh = (CPU.getCurrentThreadCpuTime() - c0) / (double) lines;
                c0 = CPU.getCurrentThreadCpuTime();
                for (int i = 0, pos = 0; i < lines; i++, pos += lineBytes) m.put(pos, line, 0, lineBytes);
                copy = (CPU.getCurrentThreadCpuTime() - c0) / (double) lines;
            }
            Files.delete(file);
            try (FileChannel ch = open(file)) {
                for (int allocated = 0; allocated < SEGMENT; ) allocated = grow(ch, allocated);
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, SEGMENT);
                long c0 = CPU.getCurrentThreadCpuTime();
                for (int i = 0, pos = 0; i < lines; i++, pos += lineBytes) m.put(pos, line, 0, lineBytes);
                faults = (CPU.getCurrentThreadCpuTime() - c0) / (double) lines;
            }
            Files.delete(file);
            if (round >= 2) {
                System.out.printf("%d-byte lines, CPU per line: as the journal writes them %,.0f ns; into a segment grown "
                        + "beforehand (first write to each page) %,.0f ns; into pages written once already %,.0f ns%n",
                        lineBytes, fresh, faults, copy);
            }
        }
        Files.delete(dir);
    }

    private static FileChannel open(Path file) throws Exception {
        return FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /** As {@code LedgerJournal.grow}: a chunk of zeros written at the end, so the pages have disk behind them. */
    private static int grow(FileChannel ch, int allocated) throws Exception {
        ByteBuffer zeros = ByteBuffer.allocate(CHUNK);
        while (zeros.hasRemaining()) ch.write(zeros, allocated + zeros.position());
        return allocated + CHUNK;
    }
}
