package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** {@code jvmm run} with no payload boots the embedded demo guest through real KVM. */
@ScaledTimeout(60)
@RequiresKvm
class DemoGuestRunTest {
    @Test
    void demoGuestGreetsShowsTheDateEchoesALineAndPowersOff() {
        VmHarness.kvm();
        InputStream in = System.in;
        PrintStream out = System.out;
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        CliHarness r;
        try {
            System.setIn(new ByteArrayInputStream("hello from the host\r".getBytes(StandardCharsets.US_ASCII)));
            System.setOut(new PrintStream(console, true, StandardCharsets.US_ASCII));
            // wait-for-RTS: the line typed ahead stays in the backend until the guest opens COM1
            r = CliHarness.run("run", "--serial-wait-for-rts");
        } finally {
            System.setIn(in);
            System.setOut(out);
        }
        String text = console.toString(StandardCharsets.US_ASCII);
        assertEquals(0, r.exitCode(), r.err() + text);
        assertTrue(text.contains("jvmm demo guest: hello from a 32-bit guest over COM1"), text);
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        String yesterday = LocalDate.now(ZoneOffset.UTC).minusDays(1).toString();
        assertTrue(text.contains("RTC: " + today) || text.contains("RTC: " + yesterday), text);
        assertTrue(text.contains("battery: absent"), text);
        assertTrue(text.contains("you typed: hello from the host"), text);
        assertTrue(text.endsWith("powering off\r\n"), "powers off through PM1 right after saying so: " + text);
    }

    @Test
    void demoGuestReportsTheBatteryGivenOnTheCommandLine() {
        VmHarness.kvm();
        InputStream in = System.in;
        PrintStream out = System.out;
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        CliHarness r;
        try {
            System.setIn(new ByteArrayInputStream("x\r".getBytes(StandardCharsets.US_ASCII)));
            System.setOut(new PrintStream(console, true, StandardCharsets.US_ASCII));
            r = CliHarness.run("run", "--serial-wait-for-rts", "--battery", "95%");
        } finally {
            System.setIn(in);
            System.setOut(out);
        }
        String text = console.toString(StandardCharsets.US_ASCII);
        assertEquals(0, r.exitCode(), r.err() + text);
        assertTrue(text.contains("battery: 95% charging, AC online"), text);
    }
}
