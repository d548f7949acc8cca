#!/bin/sh
# make render: the sample's workbooks as PDF and PNG pages, to be looked at as they print.
#
# Runs the committed `la` sample twice (a "last year" with a £4,000 lump sum, then this year
# against it, so the year-on-year columns have something to show) and simulate with 100
# scenarios, then converts one of each workbook to PDF with LibreOffice headless and every
# page to PNG with pdftoppm.  Output: out-render/{xlsx,pdf,png}.  Installs LibreOffice Calc
# and poppler-utils with apt-get where they are missing and it can; otherwise says so and stops
# without failing.
set -eu
OUT=${RENDER_OUT:-out-render}
SENRUN=${SENRUN:-.venv/bin/senrun}
ROOT=$(pwd)

have_tools() { command -v soffice >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 \
               && command -v pdftotext >/dev/null 2>&1; }

if ! have_tools; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "make render: installing LibreOffice Calc and poppler-utils (apt-get)"
        (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y libreoffice-calc poppler-utils) \
            || true
    elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        (sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y libreoffice-calc poppler-utils) \
            || true
    fi
fi
if ! have_tools; then
    echo "make render: skipped. It needs LibreOffice (soffice) and poppler-utils (pdftoppm, pdftotext);"
    echo "  install them (Debian/Ubuntu: apt-get install libreoffice-calc poppler-utils) and run it again."
    exit 0
fi

rm -rf "$OUT"
mkdir -p "$OUT/config" "$OUT/xlsx" "$OUT/pdf" "$OUT/png"
# last year: the same inputs with a £4,000 lump sum (paths made absolute for the copied config)
sed -e "s#\.\./sample_data/#$ROOT/sample_data/#g" -e "s/rate: 5000}/rate: 4000}/" config/senrun.yaml \
    > "$OUT/config/last.yaml"
"$SENRUN" allocate --config "$OUT/config/last.yaml" --out "$OUT/last" --no-returns --quiet
"$SENRUN" allocate --config config/senrun.yaml --out "$OUT/la" --previous "$OUT/last/schools.csv" --quiet
rates=$(seq -s, 0 70 6930)  # 100 lump sums from £0 to £6,930 (the pot runs out at £7,467)
"$SENRUN" simulate --config config/senrun.yaml --set "lump_sum.rate=$rates" --out "$OUT/sim" --quiet

cp "$OUT/la/allocations.xlsx" "$OUT/la/pupils.xlsx" "$OUT/sim/simulate.xlsx" "$OUT/xlsx/"
cp "$(ls "$OUT"/la/clusters/*.xlsx | head -n 1)" "$OUT/xlsx/cluster-pack.xlsx"
cp "$(ls "$OUT"/la/returns/*.xlsx | head -n 1)" "$OUT/xlsx/school-return.xlsx"

soffice --headless --norestore --convert-to pdf --outdir "$OUT/pdf" "$OUT"/xlsx/*.xlsx >/dev/null 2>&1
for pdf in "$OUT"/pdf/*.pdf; do
    name=$(basename "$pdf" .pdf)
    pdftoppm -png -r 60 "$pdf" "$OUT/png/$name"
    pages=$(pdfinfo "$pdf" 2>/dev/null | sed -n 's/^Pages: *//p')
    echo "$name.pdf: $pages pages"
done

# simulate.xlsx's overview must print in a few pages: count the pages whose footer names its sheet
# (100 scenarios: 6 pages, three down and two across, the scenario's name on each)
overview=0
pages=$(pdfinfo "$OUT/pdf/simulate.pdf" | sed -n 's/^Pages: *//p')
for i in $(seq 1 "$pages"); do
    if pdftotext -f "$i" -l "$i" "$OUT/pdf/simulate.pdf" - | grep -q -x ".*what-if scenarios – Overview"; then
        overview=$((overview + 1))
    fi
done
echo "simulate.xlsx overview (100 scenarios): $overview pages"
if [ "$overview" -gt 8 ]; then
    echo "make render: the overview prints in more than 8 pages" >&2
    exit 1
fi
echo "Pages to look at: $OUT/png/"
