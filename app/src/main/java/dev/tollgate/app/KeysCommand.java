package dev.tollgate.app;

import dev.tollgate.gateway.auth.KeyStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.Callable;

/** Helpers for virtual keys: make a new one, or hash one for {@code key_sha256} in the config. */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Create or hash virtual keys.",
        subcommands = {KeysCommand.Create.class, KeysCommand.Hash.class})
final class KeysCommand {

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Print a new random key and its SHA-256.")
    static final class Create implements Callable<Integer> {
        @Override
        public Integer call() {
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            String key = "tg-" + HexFormat.of().formatHex(random);
            System.out.println("key:        " + key);
            System.out.println("key_sha256: " + KeyStore.hash(key));
            return 0;
        }
    }

    @Command(name = "hash", mixinStandardHelpOptions = true, description = "Print the SHA-256 of a key, for key_sha256 in the config.")
    static final class Hash implements Callable<Integer> {
        @Parameters(paramLabel = "KEY", description = "The virtual key to hash.")
        String key;

        @Override
        public Integer call() {
            System.out.println(KeyStore.hash(key));
            return 0;
        }
    }
}
