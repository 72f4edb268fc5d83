package io.jvmm.cli;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * picocli's command model built through its programmatic API, each option bound to its field by a
 * getter and a setter. Reading the same model from {@code @Option} annotations cost about a fifth
 * of {@code jvmm run}'s start-up (JFR: the JDK's annotation parsing and proxies); declared here,
 * the model is plain object construction. Each options class declares its options once, in its
 * {@code addTo} method, next to the fields they set.
 */
final class BoundOptions {
    private BoundOptions() {
    }

    /** An option taking one value of {@code type}, converted by picocli as for an annotated field of that type. */
    static <T> OptionSpec.Builder value(String name, Class<T> type, Supplier<T> get, Consumer<T> set) {
        return bind(OptionSpec.builder(name).type(type), get, set);
    }

    /** A boolean flag (no value). */
    static OptionSpec.Builder flag(String name, Supplier<Boolean> get, Consumer<Boolean> set) {
        return bind(OptionSpec.builder(name).type(boolean.class), get, set);
    }

    /** A repeatable option: each occurrence adds one {@code element} to the list. */
    static <E> OptionSpec.Builder list(String name, Class<E> element, Supplier<List<E>> get, Consumer<List<E>> set) {
        return bind(OptionSpec.builder(name).type(List.class).auxiliaryTypes(element), get, set);
    }

    /** The positional parameter at {@code index}, one value of {@code type}. */
    static <T> PositionalParamSpec.Builder positional(String index, Class<T> type, Supplier<T> get, Consumer<T> set) {
        return bind(PositionalParamSpec.builder().index(index).type(type), get, set);
    }

    /** The positional parameters in the {@code index} range (e.g. "1..*"), collected in a list. */
    static <E> PositionalParamSpec.Builder positionals(String index, Class<E> element, Supplier<List<E>> get,
            Consumer<List<E>> set) {
        return bind(PositionalParamSpec.builder().index(index).type(List.class).auxiliaryTypes(element), get, set);
    }

    /**
     * The getter and setter, and the field's value now as the initial value picocli restores before
     * each parse (without it picocli would set null, e.g. over a repeatable option's empty list).
     */
    private static <T> OptionSpec.Builder bind(OptionSpec.Builder option, Supplier<T> get, Consumer<T> set) {
        return option.initialValue(get.get()).hasInitialValue(true).getter(getter(get)).setter(setter(get, set));
    }

    /** The same for a positional parameter (picocli's common builder type is not public). */
    private static <T> PositionalParamSpec.Builder bind(PositionalParamSpec.Builder parameter, Supplier<T> get,
            Consumer<T> set) {
        return parameter.initialValue(get.get()).hasInitialValue(true).getter(getter(get)).setter(setter(get, set));
    }

    private static CommandLine.Model.IGetter getter(Supplier<?> get) {
        return new CommandLine.Model.IGetter() {
            @Override
            @SuppressWarnings("unchecked")
            public <R> R get() {
                return (R) get.get();
            }
        };
    }

    private static <T> CommandLine.Model.ISetter setter(Supplier<T> get, Consumer<T> set) {
        return new CommandLine.Model.ISetter() {
            @Override
            @SuppressWarnings("unchecked")
            public <R> R set(R value) {
                R previous = (R) get.get();
                set.accept((T) value);
                return previous;
            }
        };
    }

    /**
     * A command running {@code userObject} (a {@code Callable}), its usage unsorted (options in the
     * order added); {@link #addStandardHelpOptions} goes after the command's own options.
     */
    static CommandSpec command(Object userObject, String name, String... description) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(userObject).name(name);
        spec.usageMessage().description(description).sortOptions(false);
        return spec;
    }

    /**
     * {@code -h, --help} and {@code -V, --version} as picocli's {@code mixinStandardHelpOptions}
     * declares them (same names and descriptions), without the reflection over its annotated mixin.
     */
    static CommandSpec addStandardHelpOptions(CommandSpec spec) {
        boolean[] help = new boolean[2];
        spec.addOption(flag("-h", () -> help[0], v -> help[0] = v).names("-h", "--help").usageHelp(true)
                .description("Show this help message and exit.").build());
        spec.addOption(flag("-V", () -> help[1], v -> help[1] = v).names("-V", "--version").versionHelp(true)
                .description("Print version information and exit.").build());
        return spec;
    }
}
