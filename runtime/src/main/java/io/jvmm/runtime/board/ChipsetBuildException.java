package io.jvmm.runtime.board;

import java.util.List;

/**
 * The board could not be built. {@link #problems()} lists every problem found (e.g. all missing
 * resolvers, all region conflicts), each a message for the user.
 */
public class ChipsetBuildException extends Exception {
    private final List<String> problems;

    public ChipsetBuildException(String headline, List<String> problems) {
        super(format(headline, problems));
        this.problems = List.copyOf(problems);
    }

    public ChipsetBuildException(String problem) {
        super(problem);
        this.problems = List.of(problem);
    }

    public ChipsetBuildException(String problem, Throwable cause) {
        super(problem, cause);
        this.problems = List.of(problem);
    }

    public List<String> problems() {
        return problems;
    }

    private static String format(String headline, List<String> problems) {
        StringBuilder sb = new StringBuilder(headline);
        for (String p : problems) {
            sb.append("\n  - ").append(p);
        }
        return sb.toString();
    }
}
