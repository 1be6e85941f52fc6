"""The demo company: realistic, bilingual, deterministic data built through the services."""

from __future__ import annotations

import contextlib
import random
from decimal import Decimal

from django.db import transaction

from ordercrm.accounts import services as accounts
from ordercrm.accounts.models import User
from ordercrm.accounts.roles import Role
from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import TaxRate, Unit
from ordercrm.core.exceptions import DomainError
from ordercrm.core.models import Company
from ordercrm.core.money import round_to
from ordercrm.core.services import company_create
from ordercrm.customers import services as customers
from ordercrm.customers.models import AddressKind, CustomerKind

from .demo_history import HISTORY_CUSTOMERS, HISTORY_MONTHS, build_history, south_warehouse
from .demo_service import build_cases

DEMO_CODE = "demo"
DEMO_PASSWORD = "ordercrm-demo"  # noqa: S105 - printed for the newcomer; demo data only
DEMO_USERS = [
    # username, role, first name, last name, language, team
    ("admin", Role.ADMIN, "Wei", "Zhang", "zh-hans", None),
    ("sales_manager", Role.SALES_MANAGER, "Li", "Chen", "zh-hans", "east"),
    ("sales_rep", Role.SALES_REP, "Fang", "Wang", "zh-hans", "east"),
    ("sales_rep2", Role.SALES_REP, "Kevin", "Lin", "zh-hant", "south"),
    ("finance", Role.FINANCE, "Min", "Zhao", "zh-hans", None),
    ("warehouse", Role.WAREHOUSE, "Qiang", "Liu", "zh-hans", None),
    ("support", Role.SUPPORT, "Anna", "Huang", "en", None),
    ("viewer", Role.VIEWER, "Tom", "Sun", "en", None),
]

CN_CITIES = [
    ("上海", "上海市", "200000"),
    ("杭州", "浙江省", "310000"),
    ("苏州", "江苏省", "215000"),
    ("南京", "江苏省", "210000"),
    ("深圳", "广东省", "518000"),
    ("广州", "广东省", "510000"),
    ("宁波", "浙江省", "315000"),
    ("厦门", "福建省", "361000"),
]
TW_CITIES = [("台北", "台北市", "100"), ("新竹", "新竹市", "300"), ("台中", "台中市", "400")]
CN_PREFIX = [
    "明辉",
    "华鑫",
    "恒达",
    "金泰",
    "瑞丰",
    "永盛",
    "宏远",
    "新宇",
    "鼎盛",
    "佳美",
    "天成",
    "博远",
    "中孚",
    "立信",
    "海纳",
    "东升",
    "嘉和",
    "富源",
    "长虹",
    "景程",
]
CN_TRADE = ["电子", "机械", "贸易", "科技", "包装", "建材", "照明", "自动化"]
CN_SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴"]
CN_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明"]
EN_COMPANIES = [
    "Pacific Rim Traders Ltd.",
    "Northwind Components Inc.",
    "Blue Harbor Supply Co.",
    "Evergreen Industrial LLC",
    "Summit Packaging GmbH",
    "Redwood Lighting Pty Ltd",
    "Atlas Automation BV",
    "Cedar & Pine Office Goods",
    "Silverline Electronics Ltd.",
    "Harbourfront Hardware Ltd.",
    "Meridian Tools Inc.",
    "Oakridge Building Supply",
]
EN_PEOPLE = [
    "Emma Clark",
    "James Wilson",
    "Olivia Brown",
    "Liam Davies",
    "Sophia Martin",
    "Noah Taylor",
]

CATEGORIES = {
    "电子元件 Electronic components": [
        ("RES", "贴片电阻 10kΩ 0603 SMD resistor", "pcs", "0.02", "0.008"),
        ("CAP", "陶瓷电容 100nF 0805 Ceramic capacitor", "pcs", "0.05", "0.02"),
        ("LED", "LED 灯珠 5050 LED chip", "pcs", "0.30", "0.12"),
        ("MCU", "单片机 STM32F103 Microcontroller", "pcs", "18.50", "11.20"),
        ("REL", "继电器 24V Relay", "pcs", "6.80", "3.90"),
    ],
    "线缆 Cables": [
        ("CBL", "铜芯电缆 2.5mm² Copper cable", "mm", "0.0120", "0.0070"),
        ("NET", "超五类网线 Cat5e network cable", "m", "1.60", "0.90"),
        ("FBR", "光纤跳线 Fiber patch cord", "pcs", "22.00", "12.50"),
    ],
    "办公用品 Office supplies": [
        ("PPR", "A4 复印纸 A4 copy paper (500 sheets)", "box", "26.00", "18.00"),
        ("PEN", "中性笔 Gel pen 0.5mm", "pcs", "1.50", "0.60"),
        ("FLD", "文件夹 Document folder", "pcs", "4.20", "2.10"),
    ],
    "工业设备 Industrial equipment": [
        ("MTR", "伺服电机 750W Servo motor", "set", "1280.00", "860.00"),
        ("PLC", "可编程控制器 PLC controller", "set", "2450.00", "1690.00"),
        ("SNS", "光电传感器 Photoelectric sensor", "pcs", "85.00", "48.00"),
        ("VLV", "电磁阀 Solenoid valve", "pcs", "168.00", "102.00"),
    ],
    "包装材料 Packaging": [
        ("BOX", "五层瓦楞纸箱 Corrugated carton", "pcs", "3.80", "2.20"),
        ("TAP", "封箱胶带 Packing tape", "pcs", "2.50", "1.20"),
        ("FLM", "缠绕膜 Stretch film", "kg", "15.00", "9.50"),
    ],
}


def demo_exists() -> bool:
    return Company.objects.filter(code=DEMO_CODE).exists()


@transaction.atomic
def build_demo(*, seed: int = 2026) -> Company:
    """Create the demo company and its data. Callers check :func:`demo_exists` first."""
    rng = random.Random(seed)
    company = company_create(
        code=DEMO_CODE,
        name="华阳贸易 Huayang Trading",
        legal_name="上海华阳贸易有限公司",
        base_currency="CNY",
        default_language="zh-hans",
        timezone="Asia/Shanghai",
        tax_id="91310000MA1FL0001X",
        email="sales@huayang.example",
        phone="+86 21 5555 0100",
        address="上海市浦东新区张江路 88 号",
    )
    users = _users(company)
    products = _catalog(company, users["admin"], rng)
    _exchange_rates(company, users["finance"])
    demo_customers = _customers(company, users, products, rng)
    _templates(company, users, demo_customers, products)
    build_history(company, users, demo_customers, products, rng)
    _stock(company, users, products, rng)
    _orders(company, users, demo_customers, products, rng)
    _payments(company, users, rng)
    build_cases(company, users)
    return company


def _users(company: Company) -> dict[str, User]:
    teams = {}
    users: dict[str, User] = {}
    for username, role, first, last, language, _team_key in DEMO_USERS:
        users[username] = accounts.user_create(
            username=username,
            password=DEMO_PASSWORD,
            company=company,
            role=role,
            first_name=first,
            last_name=last,
            language=language,
            email=f"{username}@huayang.example",
            check_password=False,
        )
    teams["east"] = accounts.team_create(
        company=company, name="华东团队 East China", manager=users["sales_manager"]
    )
    teams["south"] = accounts.team_create(
        company=company, name="华南团队 South China", manager=users["sales_manager"]
    )
    for username, role, _f, _l, _lang, team_key in DEMO_USERS:
        if team_key:
            accounts.membership_set(
                user=users[username], company=company, role=role, team=teams[team_key]
            )
    return users


def _catalog(company: Company, admin: User, rng: random.Random) -> list:
    units = {u.code: u for u in Unit.objects.for_company(company)}
    rates = {r.rate: r for r in TaxRate.objects.for_company(company)}
    cny = catalog.price_list_create(
        company=company,
        actor=admin,
        name="标准价目表 Standard CNY",
        currency="CNY",
        is_default=True,
    )
    usd = catalog.price_list_create(
        company=company, actor=admin, name="Export USD", currency="USD", is_default=True
    )
    vip = catalog.price_list_create(
        company=company, actor=admin, name="VIP 客户价 VIP CNY", currency="CNY"
    )
    products = []
    for category_name, items in CATEGORIES.items():
        category = catalog.category_create(company=company, actor=admin, name=category_name)
        tax = rates[Decimal("13")]
        for prefix, name, unit, price, cost in items:
            for variant in range(1, 7):
                factor = Decimal(str(1 + (variant - 1) * 0.15))
                list_price = round_to(Decimal(price) * factor, 4)
                product = catalog.product_create(
                    company=company,
                    actor=admin,
                    sku=f"{prefix}-{variant:03d}",
                    name=f"{name} #{variant}",
                    unit=units[unit],
                    category=category,
                    tax_rate=tax,
                    list_price=list_price,
                    cost=round_to(Decimal(cost) * factor, 4),
                    is_stock_tracked=True,
                )
                products.append(product)
                catalog.price_list_set_price(
                    price_list=cny, product=product, unit_price=list_price, actor=admin
                )
                catalog.price_list_set_price(
                    price_list=cny,
                    product=product,
                    actor=admin,
                    min_quantity=Decimal("100"),
                    unit_price=round_to(list_price * Decimal("0.95"), 4),
                )
                if list_price < 100:  # the cheap parts are bought by the thousand
                    catalog.price_list_set_price(
                        price_list=cny,
                        product=product,
                        actor=admin,
                        min_quantity=Decimal("1000"),
                        unit_price=round_to(list_price * Decimal("0.88"), 4),
                    )
                catalog.price_list_set_price(
                    price_list=vip,
                    product=product,
                    actor=admin,
                    unit_price=round_to(list_price * Decimal("0.92"), 4),
                )
                catalog.price_list_set_price(
                    price_list=usd,
                    product=product,
                    actor=admin,
                    unit_price=round_to(list_price / Decimal("7.10"), 4),
                )
    return products


def _customers(
    company: Company, users: dict[str, User], products: list, rng: random.Random
) -> list:
    from ordercrm.catalog.models import PriceList

    usd = PriceList.objects.for_company(company).get(currency="USD", is_default=True)
    vip = PriceList.objects.for_company(company).get(name__startswith="VIP")
    reps = [users["sales_rep"], users["sales_rep2"], users["sales_manager"]]
    made = []
    for index in range(50):
        owner = reps[index % len(reps)]
        if index < 32:
            city, region, postcode = rng.choice(CN_CITIES)
            name = f"{city}{CN_PREFIX[index % len(CN_PREFIX)]}{CN_TRADE[index % len(CN_TRADE)]}有限公司"
            language, currency, price_list, country = (
                "zh-hans",
                "CNY",
                (vip if index % 7 == 0 else None),
                "CN",
            )
            people = [
                rng.choice(CN_SURNAMES) + rng.choice(CN_GIVEN) + rng.choice(["", *CN_GIVEN])
                for _ in range(3)
            ]
            street = f"{rng.choice(['人民路', '解放路', '中山路', '建设路', '科技园路'])} {rng.randint(1, 999)} 号"
        elif index < 38:
            city, region, postcode = rng.choice(TW_CITIES)
            name = f"{city}{CN_PREFIX[index % len(CN_PREFIX)]}{['電子', '機械', '貿易'][index % 3]}股份有限公司"
            language, currency, price_list, country = "zh-hant", "CNY", None, "TW"
            people = [rng.choice(CN_SURNAMES) + rng.choice(CN_GIVEN) for _ in range(3)]
            street = f"{rng.choice(['忠孝東路', '中正路', '光復路'])} {rng.randint(1, 300)} 號"
        else:
            city, region, postcode = rng.choice(
                [
                    ("Singapore", "", "018956"),
                    ("Sydney", "NSW", "2000"),
                    ("Rotterdam", "ZH", "3011"),
                    ("San Jose", "CA", "95110"),
                ]
            )
            name = EN_COMPANIES[index - 38]
            language, currency, price_list = "en", "USD", usd
            country = {"Singapore": "SG", "Sydney": "AU", "Rotterdam": "NL", "San Jose": "US"}[city]
            people = rng.sample(EN_PEOPLE, 3)
            street = (
                f"{rng.randint(1, 400)} {rng.choice(['Harbour St', 'Market Rd', 'Industrial Ave'])}"
            )
        phone = f"+86 {rng.randint(130, 189)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
        credit_limit = Decimal(rng.choice([50000, 100000, 200000, 500000]))
        customer = customers.customer_create(
            company=company,
            actor=owner,
            name=name,
            language=language,
            currency=currency,
            kind=CustomerKind.PERSON if index % 17 == 16 else CustomerKind.COMPANY,
            phone=phone,
            email=f"purchasing{index}@customer{index}.example",
            tax_id=f"9131{index:014d}" if country == "CN" else "",
            price_list=price_list,
            allow_duplicate=True,
            tags=rng.sample(
                ["重点客户 key account", "经销商 distributor", "新客户 new", "出口 export"], 1
            ),
        )
        # The rep opens the account; finance decides how much credit it gets.
        customer = customers.customer_update(
            customer=customer, actor=users["finance"], credit_limit=credit_limit
        )
        made.append(customer)
        for position, person in enumerate(people[: rng.randint(1, 3)]):
            customers.contact_add(
                customer=customer,
                actor=owner,
                name=person,
                title=["采购经理 Purchasing manager", "财务 Finance", "仓库 Warehouse"][position],
                phone=f"+86 {rng.randint(130, 189)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                email=f"contact{position}@customer{index}.example",
                is_primary=position == 0,
            )
        for kind in (AddressKind.BILLING, AddressKind.SHIPPING):
            customers.address_add(
                customer=customer,
                actor=owner,
                kind=kind,
                recipient=people[0],
                phone=phone,
                line1=street if kind == AddressKind.BILLING else f"{street} B",
                city=city,
                region=region,
                postal_code=postcode,
                country=country,
            )
    return made


def _templates(company: Company, users: dict[str, User], demo_customers: list, products):
    """Order templates: two the whole company uses, one for a regular customer."""
    from ordercrm.sales import services as sales

    rep = users["sales_rep"]
    for name, picks, customer in (
        ("办公用品月度补货 Monthly office restock", (54, 60, 66), None),
        ("包装材料标准套装 Packaging starter set", (90, 96, 102), None),
        ("常规订单 Usual order", (0, 6, 12), demo_customers[0]),
    ):
        sales.template_create(
            company=company,
            actor=customer.owner if customer else rep,
            name=name,
            customer=customer,
            lines=[{"product": products[i % len(products)], "quantity": 10} for i in picks],
        )


def _exchange_rates(company: Company, finance: User) -> None:
    """The USD rate table finance keeps: export orders take the rate of their date."""
    import datetime

    from ordercrm.core.dates import company_today

    today = company_today(company)
    rates = [
        (30 * month + 15, f"{Decimal('7.1012') + Decimal(month) * Decimal('0.0123'):.4f}")
        for month in range(HISTORY_MONTHS + 1, 2, -1)
    ]
    for days_ago, rate in (*rates, (60, "7.2130"), (30, "7.1685"), (7, "7.1240"), (0, "7.1012")):
        catalog.exchange_rate_set(
            company=company,
            actor=finance,
            currency="USD",
            date=today - datetime.timedelta(days=days_ago),
            rate=rate,
        )


def _stock(company: Company, users: dict[str, User], products: list, rng: random.Random) -> None:
    """Two warehouses; most products in stock, a few short so backorders show."""
    from ordercrm.inventory import services as inventory
    from ordercrm.inventory.models import Warehouse

    main = Warehouse.objects.for_company(company).get(code="main")
    Warehouse.objects.for_company(company).filter(pk=main.pk).update(
        name="上海主仓 Shanghai main", address="上海市浦东新区张江路 88 号"
    )
    south = south_warehouse(company, users)
    for warehouse, share in ((main, 1.0), (south, 0.4)):
        inventory.stock_receive(
            company=company,
            actor=users["warehouse"],
            warehouse=warehouse,
            reference="PO-DEMO-001",
            lines=[
                {"product": product, "quantity": int(rng.randint(20, 400) * share)}
                for index, product in enumerate(products)
                if index % 9 != 4 and int(20 * share) > 0
            ],
        )


def _orders(
    company: Company, users: dict[str, User], demo_customers: list, products: list, rng
) -> None:
    """Orders in every stage: drafts, confirmed, partly and fully shipped."""
    from ordercrm.fulfilment import services as fulfilment
    from ordercrm.sales import selectors as sales_selectors
    from ordercrm.sales import services as sales

    for index, customer in enumerate(demo_customers[:30]):
        actor = customer.owner
        stage = index % 6
        lines = [
            {"product": product, "quantity": rng.randint(1, 12)}
            for product in rng.sample(products, rng.randint(2, 5))
        ]
        if stage == 1:
            # A discount the default rule ("above 15 %") sends to approval: the approvals
            # inbox always has today's orders waiting, whatever dates the history gave.
            lines[0]["discount_percent"] = Decimal("20")
        order = sales.order_create(
            company=company,
            actor=actor,
            customer=customer,
            lines=lines,
            customer_reference=f"PO-{2026}{index:04d}",
        )
        if stage == 0:
            continue  # a quotation still being worked on
        if index < HISTORY_CUSTOMERS:
            # The customers with 18 months of history keep their rhythm (the habits pages
            # find some due, lapsing and lapsed): today's is a quotation, not yet booked.
            continue
        order = sales.order_submit(order=order, actor=actor)
        if stage < 3:
            continue
        partial = None
        if stage in (3, 4):  # part of the first two lines, as far as stock is reserved
            partial = [
                {"order_line_id": str(line.pk), "quantity": line.qty_reserved}
                for line in sales_selectors.order_lines(order)[:2]
            ]
        # Nothing in stock for it yet: it stays a backorder.
        with contextlib.suppress(DomainError):
            fulfilment.shipment_create(
                order=order,
                actor=users["warehouse"],
                lines=partial,
                carrier=rng.choice(["顺丰速运 SF Express", "中通快递 ZTO", "德邦物流 Deppon"]),
                tracking_number=f"SF{rng.randint(10**11, 10**12 - 1)}",
                dispatch=stage != 3,
            )


def _payments(company: Company, users: dict[str, User], rng: random.Random) -> None:
    """Some invoices paid in full, some in part, some open (aging shows them)."""
    import datetime

    from django.utils import timezone

    from ordercrm.billing import services as billing
    from ordercrm.billing.models import Invoice

    methods = ["bank_transfer", "alipay", "wechat_pay", "cheque"]
    today_start = timezone.now() - datetime.timedelta(hours=1)
    for index, invoice in enumerate(
        Invoice.objects.for_company(company)
        .filter(created_at__gte=today_start, kind="invoice")  # history settles its own
        .select_related("customer")
        .order_by("created_at")
    ):
        if index % 3 == 2:
            continue
        amount = (
            invoice.gross_total
            if index % 3 == 0
            else (invoice.gross_total / 2).quantize(Decimal("0.01"))
        )
        billing.payment_record(
            company=company,
            actor=users["finance"],
            customer=invoice.customer,
            amount=amount,
            currency=invoice.currency,
            exchange_rate=invoice.exchange_rate,
            method=methods[index % len(methods)],
            reference=f"DEMO-{index:04d}",
            allocations=[{"invoice": invoice, "amount": amount}],
        )
