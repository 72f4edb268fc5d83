package io.jvmm.runtime.manifest;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Objects;

/**
 * An immutable JSON value with value equality, for configuration that no loaded resolver can
 * read. Jackson's own nodes are mutable, so they are copied into this on the way in and back out
 * on the way out; object member order is kept, so the value is written back verbatim.
 */
public sealed interface OpaqueJson {
    /** An object member. */
    record Member(String key, OpaqueJson value) {
        public Member {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    /** An object, members in document order. */
    record Obj(List<Member> members) implements OpaqueJson {
        public Obj {
            members = List.copyOf(members);
        }

        public static Obj empty() {
            return new Obj(List.of());
        }
    }

    record Arr(List<OpaqueJson> elements) implements OpaqueJson {
        public Arr {
            elements = List.copyOf(elements);
        }
    }

    record Str(String value) implements OpaqueJson {
        public Str {
            Objects.requireNonNull(value, "value");
        }
    }

    /** A number written without fraction or exponent. */
    record Int(BigInteger value) implements OpaqueJson {
        public Int {
            Objects.requireNonNull(value, "value");
        }
    }

    /** A number with fraction or exponent, kept exactly as written (scale included). */
    record Dec(BigDecimal value) implements OpaqueJson {
        public Dec {
            Objects.requireNonNull(value, "value");
        }
    }

    record Bool(boolean value) implements OpaqueJson {}

    record Null() implements OpaqueJson {}
}
