package dev.tollgate.sandbox;

import java.util.concurrent.ThreadLocalRandom;

/** Random identifiers in the providers' styles ("chatcmpl-…", "msg_…", "toolu_…"). */
final class Ids {

    private static final char[] ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    private Ids() {
    }

    static String next(String prefix) {
        return next(prefix, 24);
    }

    static String next(String prefix, int length) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] id = new char[prefix.length() + length];
        prefix.getChars(0, prefix.length(), id, 0);
        for (int i = prefix.length(); i < id.length; i++) id[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        return new String(id);
    }
}
