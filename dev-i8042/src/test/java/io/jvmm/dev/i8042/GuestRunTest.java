package io.jvmm.dev.i8042;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvmm.api.device.PowerAction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs the committed probe guest against the device without a hypervisor, on a tiny real-mode
 * interpreter that knows exactly the instructions the guest uses (anything else fails the test).
 * The KVM test runs the same image on a real vCPU.
 */
class GuestRunTest {
    /** What the guest writes to port 0xE9 before it asks for the reset. */
    static final String EXPECTED = "14 55 00 47 44 fa aa fa ab 41 fa";

    @Test
    void probeThenResetThroughTheController() throws IOException {
        Rig rig = new Rig();
        String out = run(rig, true);
        assertEquals(EXPECTED, out);
        assertEquals(List.of(PowerAction.RESET), rig.board.powerRequests());
    }

    @Test
    void reportsXWhenTheResetIsIgnored() throws IOException {
        Rig rig = new Rig();
        String out = run(rig, false);
        assertEquals(EXPECTED + " 58", out, "'X' after the reset request went unanswered");
    }

    /** Executes from the reset vector until HLT, or until the reset request if {@code stopOnReset}. */
    private static String run(Rig rig, boolean stopOnReset) throws IOException {
        byte[] image = Files.readAllBytes(GuestImageTest.GUESTS.resolve("i8042_probe.bin"));
        ByteArrayOutputStream debug = new ByteArrayOutputStream();
        int ip = 0xFFF0;
        int al = 0;
        int bx = 0;
        int cx = 0;
        boolean zf = false;
        for (long steps = 0; steps < 10_000_000; steps++) {
            if (stopOnReset && !rig.board.powerRequests().isEmpty()) {
                break;
            }
            int op = image[ip] & 0xFF;
            int imm8 = image[(ip + 1) & 0xFFFF] & 0xFF;
            int imm16 = imm8 | (image[(ip + 2) & 0xFFFF] & 0xFF) << 8;
            int rel = (byte) imm8;
            switch (op) {
                case 0xFA, 0xFC -> ip += 1; // cli, cld
                case 0xF4 -> {
                    return hex(debug.toByteArray()); // hlt: done
                }
                case 0xE4 -> { // in al, imm8
                    al = rig.read(imm8);
                    ip += 2;
                }
                case 0xE6 -> { // out imm8, al
                    if (imm8 == 0xE9) {
                        debug.write(al);
                    } else {
                        rig.write(imm8, al);
                    }
                    ip += 2;
                }
                case 0xB0 -> { // mov al, imm8
                    al = imm8;
                    ip += 2;
                }
                case 0xB9 -> { // mov cx, imm16
                    cx = imm16;
                    ip += 3;
                }
                case 0xBB -> { // mov bx, imm16
                    bx = imm16;
                    ip += 3;
                }
                case 0xA8 -> { // test al, imm8
                    zf = (al & imm8) == 0;
                    ip += 2;
                }
                case 0x4B -> { // dec bx
                    bx = (bx - 1) & 0xFFFF;
                    zf = bx == 0;
                    ip += 1;
                }
                case 0x74 -> ip += 2 + (zf ? rel : 0); // je
                case 0x75 -> ip += 2 + (zf ? 0 : rel); // jne
                case 0xEB -> ip += 2 + rel; // jmp short
                case 0xE2 -> { // loop
                    cx = (cx - 1) & 0xFFFF;
                    ip += 2 + (cx != 0 ? rel : 0);
                }
                case 0xEA -> { // jmp far ptr16:16
                    int cs = (image[ip + 3] & 0xFF) | (image[ip + 4] & 0xFF) << 8;
                    assertEquals(0xF000, cs, "the image runs in segment F000");
                    ip = imm16;
                }
                default -> throw new AssertionError(String.format("opcode %02x at %04x not interpreted", op, ip));
            }
            ip &= 0xFFFF;
        }
        return hex(debug.toByteArray());
    }

    private static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(HexFormat.of().toHexDigits(b));
        }
        return sb.toString();
    }
}
