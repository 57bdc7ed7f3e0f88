package dev.tollgate.gateway.http;

import java.util.concurrent.ThreadLocalRandom;

/** Request ids that sort by time and do not collide across replicas: 11 hex digits of milliseconds, 13 random. */
final class RequestIds {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private RequestIds() {
    }

    static String next() {
        char[] id = new char[28];
        id[0] = 'r'; id[1] = 'e'; id[2] = 'q'; id[3] = '_';
        hex(System.currentTimeMillis(), id, 4, 11);
        hex(ThreadLocalRandom.current().nextLong(), id, 15, 13);
        return new String(id);
    }

    private static void hex(long value, char[] out, int at, int digits) {
        for (int i = at + digits - 1; i >= at; i--) {
            out[i] = HEX[(int) (value & 0xf)];
            value >>>= 4;
        }
    }
}
