package io.jvmm.runtime.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.handles.MultiplexedKeyboardHandle;
import io.jvmm.api.input.KeyEvent;
import io.jvmm.api.input.KeyboardInput;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKinds;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KeyboardInputResolverTest {
    private static ResolveContext context(String name) {
        return new ResolveContext() {
            @Override
            public String deviceName() {
                return name;
            }

            @Override
            public <T> T resolve(Resource<T> resource) throws ResolveException {
                throw new ResolveException("nothing nested");
            }

            @Override
            public BoardServices board() {
                throw new UnsupportedOperationException();
            }
        };
    }

    @Test
    void resolvesSinksNamedAfterTheDevice() throws ResolveException {
        KeyboardDistributor keys = new KeyboardDistributor();
        KeyboardInputResolver r = new KeyboardInputResolver(keys);
        assertEquals(ResourceKinds.KEYBOARD_INPUT, r.kind());
        assertEquals("keyboard", r.id());
        assertEquals(MultiplexedKeyboardHandle.class, r.handleType());
        KeyboardInput in = r.resolve(new MultiplexedKeyboardHandle(0), context("i8042"));
        in.setActive(true);
        assertEquals(Optional.of("i8042"), keys.target());
        keys.send(new KeyEvent(0x1E, true));
        assertEquals(new KeyEvent(0x1E, true), in.poll());
    }

    @Test
    void elevationConflictIsAResolveException() throws ResolveException {
        KeyboardInputResolver r = new KeyboardInputResolver(new KeyboardDistributor());
        r.resolve(new MultiplexedKeyboardHandle(0), context("i8042"));
        ResolveException e = assertThrows(ResolveException.class,
                () -> r.resolve(new MultiplexedKeyboardHandle(0), context("other-kbd")));
        assertTrue(e.getMessage().contains("'other-kbd'") && e.getMessage().contains("'i8042'"), e.getMessage());
    }
}
