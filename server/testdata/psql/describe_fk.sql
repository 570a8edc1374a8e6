-- psql's \d shows the foreign keys of a table ("Foreign-key constraints:")
-- and those referencing it ("Referenced by:"), as psql 15 asks for them.
CREATE TABLE authors (id INT PRIMARY KEY, email TEXT UNIQUE);
CREATE TABLE books (id INT PRIMARY KEY, author INT REFERENCES authors (id) ON DELETE CASCADE, contact TEXT,
  parent INT, CONSTRAINT books_contact_fk FOREIGN KEY (contact) REFERENCES authors (email) ON UPDATE SET NULL);
ALTER TABLE books ADD CONSTRAINT books_parent_fk FOREIGN KEY (parent) REFERENCES books (id);
\d authors
\d books
SELECT 'books'::regclass, conname, conrelid::regclass, confrelid::regclass FROM pg_constraint WHERE contype = 'f' ORDER BY conname;
\echo done
