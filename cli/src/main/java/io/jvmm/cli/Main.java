package io.jvmm.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Entry point of the {@code jvmm} command. The command models of jvmm and its commands are built
 * through picocli's programmatic API ({@link BoundOptions}), not read from annotations; only
 * picocli's own {@code help} command is annotated (it is added only when asked for or for a listing).
 */
public final class Main {
    /** Exit code for usage and configuration errors. */
    public static final int USAGE = 2;
    /** Exit code for VM failures. */
    public static final int VM_ERROR = 1;

    /** When this class was initialised, i.e. {@code main} was about to run: {@code run --profile}'s origin. */
    static final long STARTED_NANOS = System.nanoTime();

    public static void main(String[] args) {
        // a command that boots a VM loads the providers while its command line is parsed
        BootLayerProviders bootLayer = args.length > 0 && (args[0].equals("run") || args[0].equals("exec"))
                ? BootLayerProviders.startLoading() : BootLayerProviders.onDemand();
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true), bootLayer));
    }

    /** Runs the command line with the given streams; returns the exit code. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        return execute(args, out, err, BootLayerProviders.onDemand());
    }

    private static int execute(String[] args, PrintWriter out, PrintWriter err, BootLayerProviders bootLayer) {
        CommandSpec top = BoundOptions.command(new Main(), "jvmm", "A plugin-based virtual machine monitor.")
                .versionProvider(new Version());
        top.usageMessage().sortOptions(true).footer("", "Exit codes: 0 guest powered off (or reset with --on-reset exit), "
                + "1 VM error,", "2 usage or configuration error.");
        CommandLine cl = new CommandLine(BoundOptions.addStandardHelpOptions(top));
        Map<String, Supplier<Object>> commands = new LinkedHashMap<>();
        commands.put("run", () -> new RunCommand(bootLayer).spec);
        commands.put("exec", () -> new ExecCommand(bootLayer).spec);
        commands.put("check", () -> new CheckCommand().spec);
        commands.put("manifest", () -> new ManifestCommand().spec);
        commands.put("plugins", () -> new PluginsCommand().spec);
        commands.put("ctl", () -> new CtlCommand().spec);
        // a lambda, not HelpCommand::new: linking a constructor reference loads picocli's HelpCommand
        // and its interfaces on every start (from outside the archive: picocli's old class files)
        commands.put("help", () -> new CommandLine.HelpCommand());
        Supplier<Object> only = args.length > 0 && !args[0].equals("help") ? commands.get(args[0]) : null;
        if (only != null) {
            cl.addSubcommand(args[0], only.get());
        } else {
            // top-level help, 'help', or a mistyped command: all of them, for the listing and suggestions
            commands.forEach((name, command) -> cl.addSubcommand(name, command.get()));
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof UserError u) {
                u.messages().forEach(m -> commandLine.getErr().println("jvmm: " + m));
                return u.exitCode();
            }
            commandLine.getErr().println("jvmm: internal error: " + ex);
            ex.printStackTrace(commandLine.getErr());
            return VM_ERROR;
        });
        cl.setParameterExceptionHandler((ex, argv) -> {
            CommandLine c = ex.getCommandLine();
            PrintWriter e = c.getErr();
            e.println("jvmm: " + ex.getMessage());
            if (!CommandLine.UnmatchedArgumentException.printSuggestions(ex, e)) {
                CommandLine.Model.ArgSpec arg = ex.getArgSpec();
                if (arg == null && ex instanceof CommandLine.MissingParameterException m && m.getMissing().size() == 1) {
                    arg = m.getMissing().get(0);
                }
                e.print(relevantUsage(c, arg));
                e.println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
            }
            e.flush();
            return USAGE;
        });
        return cl.execute(args);
    }

    /**
     * The usage that fits a parse error: the option's own line when the error is about one option,
     * else the command's synopsis (the full help is one --help away).
     */
    static String relevantUsage(CommandLine c, CommandLine.Model.ArgSpec arg) {
        if (arg instanceof CommandLine.Model.OptionSpec o) {
            String label = o.arity().max() > 0 ? "=" + o.paramLabel() : "";
            return "Usage: " + c.getCommandSpec().qualifiedName() + " " + o.longestName() + label + "  "
                    + String.join(" ", o.description()) + System.lineSeparator();
        }
        return "Usage: " + c.getHelp().synopsis(0);
    }

    /** The version recorded in this module's descriptor, and the Java runtime it runs on. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getModule().getDescriptor() == null ? "dev"
                    : Main.class.getModule().getDescriptor().version().map(Object::toString).orElse("dev");
            // java.home tells a bug report whether the packaged runtime or a system JDK ran
            return new String[] {"jvmm " + v, "Java " + Runtime.version() + " (" + System.getProperty("java.vendor")
                    + ") at " + System.getProperty("java.home")};
        }
    }
}
