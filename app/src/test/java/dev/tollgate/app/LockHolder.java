package dev.tollgate.app;

import java.sql.Connection;
import java.sql.DriverManager;

/** A second process holding a DuckDB file open, as a running gateway does; exits when its stdin closes. */
public final class LockHolder {

    public static void main(String[] args) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + args[0])) {
            c.createStatement().execute("SELECT 1");
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() != -1) {
                // wait
            }
        }
    }
}
