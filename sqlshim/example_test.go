package sqlshim_test

import (
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"

	_ "github.com/blitzdb/blitz/sqlshim" // registers the "blitz" driver
)

// Example embeds a database through database/sql: the DSN is the
// directory (created if missing); CRASH_SAFE tables survive a power cut
// once Exec returns.
func Example() {
	dir, err := os.MkdirTemp("", "blitz-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	db, err := sql.Open("blitz", filepath.Join(dir, "shop")+"?auto_recover=true")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL,
		price DECIMAL(8,2), added TIMESTAMP DEFAULT CURRENT_TIMESTAMP, KEY (name)) ENGINE = BLITZDB, CRASH_SAFE`); err != nil {
		log.Fatal(err)
	}
	res, err := db.Exec("INSERT INTO items (name, price) VALUES (?, ?), (?, ?)", "pen", "1.50", "ink", "4.25")
	if err != nil {
		log.Fatal(err)
	}
	n, _ := res.RowsAffected()
	fmt.Println("inserted", n)

	var name string
	var price float64
	if err := db.QueryRow("SELECT name, price FROM items WHERE price > ? ORDER BY price DESC LIMIT 1", 2).Scan(&name, &price); err != nil {
		log.Fatal(err)
	}
	fmt.Println(name, price)
	// Output:
	// inserted 2
	// ink 4.25
}
