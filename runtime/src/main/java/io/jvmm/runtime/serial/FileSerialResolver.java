package io.jvmm.runtime.serial;

import io.jvmm.api.handles.FileSerialHandle;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import io.jvmm.api.serial.SerialBackend;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Resolves {@code serial_backend:file}: appends the guest's output to a file. The file is opened
 * unbuffered, so every chunk the writer thread takes reaches the OS at once; {@link
 * SerialBackend#close()} drains what is still queued.
 */
public final class FileSerialResolver implements ResourceResolver<FileSerialHandle, SerialBackend> {
    /** Also the ServiceLoader provider constructor. */
    public FileSerialResolver() {}

    @Override
    public ResourceKind<SerialBackend> kind() {
        return ResourceKinds.SERIAL_BACKEND;
    }

    @Override
    public String id() {
        return FileSerialHandle.ID;
    }

    @Override
    public Class<FileSerialHandle> handleType() {
        return FileSerialHandle.class;
    }

    @Override
    public FileSerialHandle parseHandle(ConfigReader config) {
        return FileSerialHandle.parse(config);
    }

    @Override
    public SerialBackend resolve(FileSerialHandle handle, ResolveContext context) throws ResolveException {
        Path path = checkedPath(handle, context.deviceName());
        OutputStream out;
        try {
            out = Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new ResolveException(what(handle, context.deviceName()) + " cannot be opened: " + e.getMessage(), e);
        }
        return new StreamSerialBackend(context.deviceName() + "-file", null, out, true);
    }

    /**
     * The file's absolute path, once everything that can be known without opening it is checked
     * (also what {@code jvmm check} does, which must not create the file).
     */
    static Path checkedPath(FileSerialHandle handle, String deviceName) throws ResolveException {
        String what = what(handle, deviceName);
        Path path;
        try {
            path = Path.of(handle.path()).toAbsolutePath();
        } catch (InvalidPathException e) {
            throw new ResolveException(what + " is not a valid path: " + e.getReason());
        }
        Path dir = path.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new ResolveException(what + ": directory " + dir + " does not exist; create it or pick another path");
        }
        if (Files.isDirectory(path)) {
            throw new ResolveException(what + " is a directory; give a file name");
        }
        if (Files.exists(path) ? !Files.isWritable(path) : !Files.isWritable(dir)) {
            throw new ResolveException(what + " is not writable"
                    + (Files.exists(path) ? "" : " (no write permission on " + dir + ")"));
        }
        return path;
    }

    private static String what(FileSerialHandle handle, String deviceName) {
        return "device '" + deviceName + "': serial output file '" + handle.path() + "'";
    }
}
