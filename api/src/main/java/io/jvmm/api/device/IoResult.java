package io.jvmm.api.device;

/**
 * The outcome of one access: {@link #OK}, an {@link Err} (the bus logs it and fills reads with
 * all-ones) or a {@link DeferredIo} that the device completes later. OK and the errors are
 * shared constants, so returning them allocates nothing.
 */
public sealed interface IoResult permits IoResult.Ok, IoResult.Err, DeferredIo {
    IoResult OK = Ok.INSTANCE;
    IoResult INVALID_REGISTER = Err.of(IoError.INVALID_REGISTER);
    IoResult INVALID_ACCESS_SIZE = Err.of(IoError.INVALID_ACCESS_SIZE);
    IoResult UNALIGNED_ACCESS = Err.of(IoError.UNALIGNED_ACCESS);

    static IoResult error(IoError error) {
        return Err.of(error);
    }

    /** Success. */
    enum Ok implements IoResult {
        INSTANCE
    }

    /** A bus-level failure. */
    record Err(IoError error) implements IoResult {
        private static final Err[] CACHE = {
            new Err(IoError.INVALID_REGISTER), new Err(IoError.INVALID_ACCESS_SIZE),
            new Err(IoError.UNALIGNED_ACCESS), new Err(IoError.NO_RESPONSE)
        };

        public static Err of(IoError error) {
            return CACHE[error.ordinal()];
        }
    }
}
