"""orders.csv + order_items.csv (CTR case): `;`-separated, `dd/mm/yyyy HH:MM` in GMT-3, the
purchases of the shopper simulation (see shop.py), so every code_color was viewed first."""

from __future__ import annotations

from pathlib import Path

from pulse.generate.core import TimeText
from pulse.generate.formats import csv_lines, rows_of
from pulse.generate.shop import ShopSim

_GMT3 = TimeText("%d/%m/%Y %H:%M", offset_s=-3 * 3600)
ITEM_FIELDS = ("id", "order_id", "sku", "quantity", "code_color")
_STATUS = (("DELIVERED", 0.80), ("SHIPPED", 0.88), ("PROCESSING", 0.93), ("CANCELED", 1.0))
_PAYMENT = ("CREDIT_CARD", "CREDIT_CARD", "CREDIT_CARD", "BOLETO", "DEBIT_CARD")
_SHIPPING = ("PAC", "SEDEX", "EXPRESS")
_CITIES = (("Sao Paulo", "SP"), ("Rio de Janeiro", "RJ"), ("Belo Horizonte", "MG"), ("Curitiba", "PR"),
           ("Porto Alegre", "RS"), ("Salvador", "BA"), ("Recife", "PE"), ("Campinas", "SP"))
_UTM = ("google / cpc", "facebook / cpc", "direct / none", "email / newsletter", "instagram / social",
        "google / organic")


class Orders(ShopSim):
    name = "orders"
    also_writes = ("order_items",)
    help = "orders.csv + order_items.csv (';', dd/mm/yyyy HH:MM GMT-3) for the viewed products"
    kind = "order"
    fields = ("id", "user_id", "order_date", "order_subtotal", "order_discount", "order_total", "order_status",
              "payment_type", "shipping_cost", "shipping_service", "address_city", "address_state",
              "utm_source_medium", "device_type")
    wrong_types = {"order_total": "R$ 12,00", "order_date": "2016-02-01T10:00:00", "id": "A-17"}

    def as_dict(self, rec, shift: float = 0.0) -> dict:
        t, _, order_id, customer, platform, items, r1, r2, r3, r4 = rec
        subtotal = sum(self.products[pid][1] * qty for _, pid, qty, _ in items)
        discount = round(subtotal * 0.1, 2) if r1 < 0.2 else 0.0
        shipping = 0.0 if subtotal >= 199 else (15.9 if r2 < 0.7 else 24.5)
        status = next(s for s, p in _STATUS if r3 < p)
        city, state = _CITIES[int(r4 * len(_CITIES))]
        return {"id": order_id, "user_id": customer, "order_date": _GMT3.second(t + shift),
                "order_subtotal": f"{subtotal:.2f}", "order_discount": f"{discount:.2f}",
                "order_total": f"{subtotal - discount + shipping:.2f}", "order_status": status,
                "payment_type": _PAYMENT[int(r2 * 10) % len(_PAYMENT)], "shipping_cost": f"{shipping:.2f}",
                "shipping_service": _SHIPPING[int(r1 * 30) % 3], "address_city": city, "address_state": state,
                "utm_source_medium": _UTM[int(r3 * 60) % len(_UTM)], "device_type": platform}

    def required_fields(self) -> tuple[str, ...]:
        return ("id", "order_date", "order_total", "device_type")

    def items_of(self, rec) -> list[dict]:
        return [{"id": item_id, "order_id": rec[2], "sku": f"{self.products[pid][0]}_{size}", "quantity": qty,
                 "code_color": self.products[pid][0]} for item_id, pid, qty, size in rec[5]]

    def write_files(self, stream, out: Path) -> list:
        out.mkdir(parents=True, exist_ok=True)
        orders_path, items_path = out / "orders.csv", out / "order_items.csv"
        items_view = _Items(self)
        with open(orders_path, "w", encoding="utf-8", newline="") as fo, \
                open(items_path, "w", encoding="utf-8", newline="") as fi:
            fo.write(";".join(self.fields) + "\n")
            fi.write(";".join(ITEM_FIELDS) + "\n")
            for rec, row in rows_of(self, stream):
                for line in csv_lines(self, iter([(rec, row)]), ";"):
                    fo.write(line)
                if isinstance(row, dict) and row.get("id") == rec[2] and not row.get("_item_written"):
                    row["_item_written"] = True  # a duplicate order row does not duplicate its items
                    for line in csv_lines(items_view, iter((rec, i) for i in self.items_of(rec)), ";"):
                        fi.write(line)
        return [orders_path, items_path]


class _Items:
    fields = ITEM_FIELDS

    def __init__(self, orders: Orders):
        self.plan = orders.plan
