package io.jvmm.runtime.serial;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.serial.SerialBackend;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

class SinkSerialResolverTest {
    @Test
    void eachNamedSinkGetsItsOwnBytesAndNoInputArrives() throws Exception {
        SinkSerialResolver sinks = new SinkSerialResolver();
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Resource<SerialBackend> ra = sinks.sink("a", a::write);
        Resource<SerialBackend> rb = sinks.sink("b", b::write);
        assertEquals("serial_backend:sink", ra.key());
        SerialBackend ba = sinks.resolve((SinkSerialResolver.SinkHandle) ra.handle(), new TestContext("debugcon-a"));
        SerialBackend bb = sinks.resolve((SinkSerialResolver.SinkHandle) rb.handle(), new TestContext("debugcon-b"));
        assertEquals(3, ba.write("xabcx".getBytes(), 1, 3));
        assertEquals(1, bb.write(new byte[] {'R'}, 0, 1));
        assertArrayEquals("abc".getBytes(), a.toByteArray());
        assertArrayEquals("R".getBytes(), b.toByteArray());
        assertTrue(ba.isConnected());
        assertEquals(0, ba.read(new byte[4], 0, 4));
    }

    @Test
    void aTakenNameIsRefusedAndAnUnknownOneNamesTheDevice() {
        SinkSerialResolver sinks = new SinkSerialResolver();
        sinks.sink("a", (d, o, l) -> { });
        assertThrows(IllegalArgumentException.class, () -> sinks.sink("a", (d, o, l) -> { }));
        ResolveException e = assertThrows(ResolveException.class,
                () -> sinks.resolve(new SinkSerialResolver.SinkHandle("nope"), new TestContext("debugcon")));
        assertTrue(e.getMessage().contains("device 'debugcon': no byte sink named 'nope'"), e.getMessage());
    }

    @Test
    void aRemovedSinkIsUnknownAndItsNameCanBeRegisteredAgain() throws Exception {
        SinkSerialResolver sinks = new SinkSerialResolver();
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        Resource<SerialBackend> r = sinks.sink("vm1", first::write);
        SerialBackend running = sinks.resolve((SinkSerialResolver.SinkHandle) r.handle(), new TestContext("debugcon"));
        assertTrue(sinks.remove("vm1"));
        assertFalse(sinks.remove("vm1"), "removed already");
        ResolveException e = assertThrows(ResolveException.class,
                () -> sinks.resolve((SinkSerialResolver.SinkHandle) r.handle(), new TestContext("debugcon")));
        assertTrue(e.getMessage().contains("no byte sink named 'vm1'"), e.getMessage());
        running.write(new byte[] {'x'}, 0, 1); // a backend resolved before keeps its sink
        assertArrayEquals("x".getBytes(), first.toByteArray());
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        Resource<SerialBackend> again = sinks.sink("vm1", second::write);
        sinks.resolve((SinkSerialResolver.SinkHandle) again.handle(), new TestContext("debugcon")).write(new byte[] {'y'}, 0, 1);
        assertArrayEquals("y".getBytes(), second.toByteArray());
        assertArrayEquals("x".getBytes(), first.toByteArray());
    }
}
