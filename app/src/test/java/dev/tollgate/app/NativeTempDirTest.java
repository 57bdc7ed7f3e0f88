package dev.tollgate.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class NativeTempDirTest {

    @TempDir
    Path dir;

    @Test
    void aMissingTempDirectoryIsNamedWithTheFix() {
        assertThat(NativeTempDir.problem(dir.resolve("no-such-tmp"))).hasValueSatisfying(p -> assertThat(p)
                .contains("no-such-tmp does not exist").contains("TOLLGATE_TMPDIR").contains("-Djava.io.tmpdir"));
    }
}
