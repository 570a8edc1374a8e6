#!/usr/bin/env bash
# PostgreSQL JDBC driver: connect, prepared statements, transactions and
# the DatabaseMetaData calls tools make (DBeaver, Hibernate, Flyway ...).
set -euo pipefail
d=$1/jdbc
mkdir -p "$d"
cat >"$d/Cap.java" <<'JAVA'
import java.sql.*;
public class Cap {
  static void drain(ResultSet rs) throws SQLException { while (rs.next()) {} rs.close(); }
  public static void main(String[] a) throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:" + System.getenv("PGPORT") + "/" + System.getenv("PGDATABASE") + "?user=postgres&ApplicationName=" + System.getenv("PGAPPNAME");
    try (Connection c = DriverManager.getConnection(url)) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE IF NOT EXISTS jt (id bigint PRIMARY KEY, name varchar(40) NOT NULL, t_id bigint REFERENCES t (id))");
        s.execute("CREATE INDEX IF NOT EXISTS jt_name ON jt (name)");
      }
      c.setAutoCommit(false);
      try (PreparedStatement p = c.prepareStatement("INSERT INTO jt (id, name) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name")) {
        for (int i = 0; i < 6; i++) { p.setLong(1, i); p.setString(2, "n" + i); p.executeUpdate(); }
      }
      try (PreparedStatement p = c.prepareStatement("SELECT id, name FROM jt WHERE id = ?")) {
        for (int i = 0; i < 6; i++) { p.setLong(1, i); drain(p.executeQuery()); }
      }
      Savepoint sp = c.setSavepoint("sp1");
      c.rollback(sp);
      c.commit();
      c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
      c.setReadOnly(true);
      try (Statement s = c.createStatement()) { drain(s.executeQuery("SELECT count(*) FROM jt")); }
      c.commit();
      c.setReadOnly(false);
      c.setAutoCommit(true);
      DatabaseMetaData m = c.getMetaData();
      m.getDatabaseProductVersion(); m.getUserName(); m.getSQLKeywords(); m.getMaxColumnNameLength();
      drain(m.getCatalogs());
      drain(m.getSchemas());
      drain(m.getSchemas(null, "public"));
      drain(m.getTableTypes());
      drain(m.getTables(null, "public", "%", new String[]{"TABLE", "VIEW"}));
      drain(m.getTables(null, null, "%", null));
      drain(m.getColumns(null, "public", "jt", "%"));
      drain(m.getPrimaryKeys(null, "public", "jt"));
      drain(m.getImportedKeys(null, "public", "jt"));
      drain(m.getExportedKeys(null, "public", "t"));
      drain(m.getIndexInfo(null, "public", "jt", false, true));
      drain(m.getTypeInfo());
      drain(m.getFunctions(null, "public", "%"));
      drain(m.getProcedures(null, "public", "%"));
      drain(m.getTablePrivileges(null, "public", "jt"));
      drain(m.getColumnPrivileges(null, "public", "jt", "%"));
      drain(m.getVersionColumns(null, "public", "jt"));
      drain(m.getBestRowIdentifier(null, "public", "jt", DatabaseMetaData.bestRowSession, true));
      drain(m.getUDTs(null, "public", "%", null));
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM jt")) {
        ResultSetMetaData md = rs.getMetaData();
        for (int i = 1; i <= md.getColumnCount(); i++) { md.getColumnTypeName(i); md.isNullable(i); md.isAutoIncrement(i); md.getTableName(i); }
      }
    }
  }
}
JAVA
javac -d "$d" "$d/Cap.java"
java -cp "$d:/usr/share/java/postgresql.jar" Cap
