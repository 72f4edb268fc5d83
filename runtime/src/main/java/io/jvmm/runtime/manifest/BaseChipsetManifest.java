package io.jvmm.runtime.manifest;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/** Which base-chipset devices are present. */
public record BaseChipsetManifest(Set<BaseChipsetFlag> enabled) {
    public BaseChipsetManifest {
        EnumSet<BaseChipsetFlag> copy = EnumSet.noneOf(BaseChipsetFlag.class);
        copy.addAll(enabled);
        enabled = Collections.unmodifiableSet(copy);
    }

    public static BaseChipsetManifest empty() {
        return new BaseChipsetManifest(EnumSet.noneOf(BaseChipsetFlag.class));
    }

    public static BaseChipsetManifest of(BaseChipsetFlag... flags) {
        EnumSet<BaseChipsetFlag> s = EnumSet.noneOf(BaseChipsetFlag.class);
        Collections.addAll(s, flags);
        return new BaseChipsetManifest(s);
    }

    public boolean has(BaseChipsetFlag flag) {
        return enabled.contains(flag);
    }

    /** A copy with {@code flag} set to {@code on}. */
    public BaseChipsetManifest with(BaseChipsetFlag flag, boolean on) {
        EnumSet<BaseChipsetFlag> s = EnumSet.noneOf(BaseChipsetFlag.class);
        s.addAll(enabled);
        if (on) {
            s.add(flag);
        } else {
            s.remove(flag);
        }
        return new BaseChipsetManifest(s);
    }
}
