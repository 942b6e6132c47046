"""Money: integer minor units plus an ISO 4217 currency. No floats, anywhere.

Display goes through Babel (`Money.format`), conversion to the payment provider
through `Money.minor` only: this is the one module that knows how many decimals a
currency has.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from decimal import Decimal

from babel.numbers import format_currency, get_currency_name

#: ISO 4217 currencies whose minor unit is not 1/100. Everything else has two decimals.
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}

#: Active ISO 4217 codes (2026), so a typo like "EURO" or "EUD" is refused at intake.
ISO_4217 = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL
    BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK
    DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR
    ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD
    LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK
    NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
    SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD
    USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG""".split()
)

#: Largest amount the portal accepts: fits a signed 64-bit column with room for sums.
MAX_MINOR = 10**15


class CurrencyMismatch(ValueError):
    """Two amounts of different currencies were combined."""


def exponent(currency: str) -> int:
    """Number of decimals of the currency's minor unit (ISO 4217)."""
    return _EXPONENTS.get(currency, 2)


def is_currency(code: str) -> bool:
    """True for an active ISO 4217 code in upper case."""
    return code in ISO_4217


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: `minor` units of `currency` (cents for EUR, yen for JPY)."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if type(self.minor) is not int:  # bool and float are refused alike
            raise TypeError(f"Money needs an int of minor units, got {type(self.minor).__name__}")
        if not is_currency(self.currency):
            raise ValueError(f"unknown ISO 4217 currency {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} do not mix")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.minor >= other.minor

    def __bool__(self) -> bool:
        return self.minor != 0

    @property
    def decimal(self) -> Decimal:
        """The amount in major units as an exact Decimal (for display and parsing only)."""
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    @classmethod
    def from_decimal(cls, amount: Decimal | str, currency: str) -> Money:
        """Parse a major-unit amount such as "12.50"; refuses more decimals than the currency has."""
        value = Decimal(str(amount).strip())
        if not value.is_finite():
            raise ValueError("not a finite amount")
        scaled = value.scaleb(exponent(currency))
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{currency} has {exponent(currency)} decimals at most")
        return cls(int(scaled), currency)

    def format(self, locale: str = "en") -> str:
        """The amount as a person in `locale` writes it, e.g. "1 234,56 €" in French."""
        return _format(self.minor, self.currency, locale)

    def currency_name(self, locale: str = "en") -> str:
        return get_currency_name(self.currency, locale=locale)

    def __str__(self) -> str:
        return f"{self.decimal} {self.currency}"


@lru_cache(maxsize=4096)
def _format(minor: int, currency: str, locale: str) -> str:
    """Babel's formatting, remembered: it costs ~0.1 ms a call and a page repeats the same amounts."""
    return format_currency(Decimal(minor).scaleb(-exponent(currency)), currency, locale=locale)
