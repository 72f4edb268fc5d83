/** Runs many small VMs in one JVM through jvmm's embedding API (io.jvmm.runtime). */
module com.example.multivm {
    requires io.jvmm.runtime;
}
