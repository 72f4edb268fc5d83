import io.jvmm.runtime.sandbox.SandboxImage;
import java.nio.file.Path;

/**
 * The bench's way to the sandbox image jvmm itself makes (run in source-file mode by bench.py:
 * {@code java --module-path cli/target/jvmm/lib --add-modules io.jvmm.runtime
 * bench/SandboxImageTool.java KERNEL AGENT OUT TRANSPORT}): assembles OUT with
 * {@link SandboxImage#assemble} for the Debian kernel KERNEL (modules beside it, as
 * fetch-kernel.sh lays them out) and the agent binary AGENT, and prints
 * {@link SandboxImage#commandLine} for TRANSPORT, so jvmm and QEMU boot the very same image and
 * command line.
 */
public class SandboxImageTool {
    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: SandboxImageTool KERNEL AGENT OUT TRANSPORT");
            System.exit(2);
        }
        try {
            SandboxImage.assemble(SandboxImage.Sources.forKernel(Path.of(args[0]), Path.of(args[1])), Path.of(args[2]));
            System.out.println(SandboxImage.commandLine(args[3]));
        } catch (IllegalArgumentException e) {
            System.err.println("sandbox image: " + e.getMessage());
            System.exit(2);
        }
    }
}
