package io.jvmm.runtime.vm;

import io.jvmm.runtime.board.PowerRequest;
import java.util.function.Consumer;

/**
 * The board's power-request sink. The board is built before the VM that acts on its requests, so
 * requests are relayed once the VM exists (none can come earlier: no vCPU runs before then).
 */
final class PowerRelay implements Consumer<PowerRequest> {
    private volatile VirtualMachine vm;

    void target(VirtualMachine vm) {
        this.vm = vm;
    }

    @Override
    public void accept(PowerRequest request) {
        VirtualMachine v = vm;
        if (v != null) {
            v.requestPower(request.action(), request.describe());
        }
    }
}
