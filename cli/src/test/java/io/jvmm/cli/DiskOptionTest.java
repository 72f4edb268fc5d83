package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvmm.api.handles.VirtioBlkHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --disk PATH[,ro][,serial=ID]} to handles (the errors are in {@link BadInputCatalogueTest}). */
class DiskOptionTest {
    @TempDir
    Path dir;

    @Test
    void disksTakeSlotsFromSixInOrderWithAbsolutePathsAndFileNameSerials() throws Exception {
        Files.write(dir.resolve("a.img"), new byte[1024]);
        Files.write(dir.resolve("a-very-long-image-name.raw"), new byte[512]);
        VmOptions o = new VmOptions();
        o.disks = List.of(dir.resolve("a.img") + ",ro", dir.resolve("a-very-long-image-name.raw") + ",serial=S1",
                dir.resolve("a.img") + ",ro,serial=");
        assertEquals(List.of(
                new VirtioBlkHandle(dir.resolve("a.img").toString(), true, 6, "a.img"),
                new VirtioBlkHandle(dir.resolve("a-very-long-image-name.raw").toString(), false, 7, "S1"),
                new VirtioBlkHandle(dir.resolve("a.img").toString(), true, 8, "")), o.diskHandles(),
                "the same image twice read-only is allowed");
        assertEquals("a-very-long-image-na", VmOptions.defaultSerial(Path.of("a-very-long-image-name.raw")));
    }
}
