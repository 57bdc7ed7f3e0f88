package dev.tollgate.gateway.http;

import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;

/**
 * One client request with its whole body, as {@link ServerConnection} hands it over (bodies are read before the
 * request is, up to {@code server.max_body_bytes}). The method names are Vert.x's, so code written against its
 * request reads the same.
 */
public final class ServerRequest {

    private final HttpRequest head;
    private final HttpMethod method;
    private final String path;
    private final ServerResponse response;
    private Buffer body;
    private MultiMap params;

    ServerRequest(HttpRequest head, ServerResponse response) {
        this.head = head;
        this.method = HttpMethod.fromNetty(head.method());
        this.path = pathOf(head.uri());
        this.response = response;
    }

    public HttpMethod method() {
        return method;
    }

    /** The path as sent (not percent-decoded), without the query. */
    public String path() {
        return path;
    }

    public String uri() {
        return head.uri();
    }

    /** The request headers; a Vert.x map over the very headers Netty decoded, nothing copied. */
    public MultiMap headers() {
        return (MultiMap) head.headers();
    }

    public String getHeader(String name) {
        return head.headers().get(name);
    }

    /** The query parameters, decoded. */
    public MultiMap params() {
        if (params == null) {
            params = MultiMap.caseInsensitiveMultiMap();
            new QueryStringDecoder(head.uri()).parameters().forEach(params::add);
        }
        return params;
    }

    public String getParam(String name) {
        return params().get(name);
    }

    /** The whole body (empty when there was none). */
    public Buffer bodyNow() {
        return body;
    }

    /** The whole body, already read: a completed future, for code written against Vert.x's request. */
    public Future<Buffer> body() {
        return Future.succeededFuture(body);
    }

    void body(Buffer body) {
        this.body = body;
    }

    public ServerResponse response() {
        return response;
    }

    /** The path of a request target: origin form ({@code /a?b}) or absolute form ({@code http://host/a?b}). */
    static String pathOf(String uri) {
        int start = 0;
        if (!uri.startsWith("/")) {
            int scheme = uri.indexOf("://");
            if (scheme >= 0) {
                int slash = uri.indexOf('/', scheme + 3);
                if (slash < 0) return "/";
                start = slash;
            }
        }
        int end = uri.length();
        for (int i = start; i < end; i++) {
            char c = uri.charAt(i);
            if (c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        return uri.substring(start, end);
    }
}
