CREATE UNIQUE INDEX customers_id ON customers (id);
CREATE UNIQUE INDEX items_id ON items (id);
CREATE INDEX orders_cust ON orders (cust_id);
CREATE INDEX orders_item ON orders (item_id);
