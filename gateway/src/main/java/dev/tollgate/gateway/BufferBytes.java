package dev.tollgate.gateway;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * A buffer's bytes for reading, without the copy {@link Buffer#getBytes()} makes when the buffer is backed by a
 * heap array (Vert.x's buffers are). Every request body and provider answer used to be copied once for each reader.
 * The arrays returned here are shared with the buffer: read them, never write them.
 */
public final class BufferBytes {

    private BufferBytes() {
    }

    /** The backing array when it holds exactly the buffer's bytes, else a copy. */
    public static byte[] whole(Buffer buffer) {
        if (buffer instanceof BufferInternal internal) {
            ByteBuf buf = internal.getByteBuf();
            if (buf.hasArray() && buf.arrayOffset() + buf.readerIndex() == 0 && buf.array().length == buf.readableBytes()) {
                return buf.array();
            }
        }
        return buffer.getBytes();
    }

    /** The buffer as a region of an array: the backing array where there is one, else a copy. */
    public static ByteBuf region(Buffer buffer) {
        if (buffer instanceof BufferInternal internal) {
            ByteBuf buf = internal.getByteBuf();
            if (buf.hasArray()) return buf;
        }
        return io.netty.buffer.Unpooled.wrappedBuffer(buffer.getBytes());
    }
}
