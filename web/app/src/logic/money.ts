// Money of the protos (turnstile.v1.Money: currency + integer minor units)
// as text, and sums of it. Formatting uses Intl with the currency's own
// number of minor digits (EUR 2, JPY 0), computed from the integer with
// bigint so no amount is rounded through a float.

export interface MoneyLike {
  currency: string;
  minorUnits: bigint;
}

function minorDigits(currency: string): number {
  try {
    return (
      new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
        .maximumFractionDigits ?? 2
    );
  } catch {
    return 2;
  }
}

/** "€12.50" for {EUR, 1250}; "—" for no money at all. */
export function formatMoney(money: MoneyLike | undefined, locale = "en"): string {
  if (!money || !money.currency) return "—";
  const digits = minorDigits(money.currency);
  const negative = money.minorUnits < 0n;
  const abs = negative ? -money.minorUnits : money.minorUnits;
  const scale = 10n ** BigInt(digits);
  const whole = abs / scale;
  const fraction = abs % scale;
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat(locale, {
      style: "currency",
      currency: money.currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
  } catch {
    const text = digits ? `${whole}.${fraction.toString().padStart(digits, "0")}` : `${whole}`;
    return `${negative ? "-" : ""}${text} ${money.currency}`;
  }
  // Format the whole part as a bigint (grouping, symbol), then put the exact
  // fraction digits in place of the formatter's zeros.
  const parts = format.formatToParts(negative ? -whole : whole);
  const fractionText = fraction.toString().padStart(digits, "0");
  return parts.map((part) => (part.type === "fraction" ? fractionText : part.value)).join("");
}

/** The sum of amounts of one currency; undefined for none or mixed ones. */
export function sumMoney(amounts: MoneyLike[]): MoneyLike | undefined {
  if (amounts.length === 0) return undefined;
  const currency = amounts[0].currency;
  if (amounts.some((amount) => amount.currency !== currency)) return undefined;
  return { currency, minorUnits: amounts.reduce((sum, amount) => sum + amount.minorUnits, 0n) };
}
