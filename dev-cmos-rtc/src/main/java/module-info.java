/**
 * The MC146818 CMOS real-time clock and CMOS RAM at ports 0x70/0x71.
 *
 * @provides io.jvmm.api.resource.ResourceResolver
 */
module io.jvmm.dev.cmosrtc {
    requires io.jvmm.api;

    provides io.jvmm.api.resource.ResourceResolver with io.jvmm.dev.cmosrtc.CmosRtcResolver;
}
