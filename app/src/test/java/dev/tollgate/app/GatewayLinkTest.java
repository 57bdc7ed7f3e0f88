package dev.tollgate.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The file through which the CLI finds a running gateway holds its admin token: only its owner may read it. */
class GatewayLinkTest {

    @TempDir
    Path data;

    @Test
    void theAnnouncedTokenIsReadableByItsOwnerOnlyAndGoneAfterwards() throws Exception {
        GatewayLink.announce(data, "http://127.0.0.1:4123", "admin-secret");
        Path file = data.resolve(GatewayLink.FILE_NAME);
        assertThat(Files.getPosixFilePermissions(file))
                .containsExactlyInAnyOrderElementsOf(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));

        GatewayLink found = GatewayLink.find(data, null, null);
        assertThat(found.url()).isEqualTo("http://127.0.0.1:4123");
        assertThat(found.token()).isEqualTo("admin-secret");

        GatewayLink.withdraw(data);
        assertThat(file).doesNotExist();
    }
}
