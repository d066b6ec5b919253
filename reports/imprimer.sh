#!/bin/sh
# Imprime un bilan HTML de vigie365 en PDF avec Chromium sans interface.
#
#   reports/imprimer.sh sorties/bilan-2026.html            # écrit sorties/bilan-2026.pdf
#   reports/imprimer.sh sorties/bilan-2026.html /tmp/b.pdf # chemin du PDF au choix
#
# Prérequis (Debian, Ubuntu) : apt-get install -y chromium fonts-liberation
#   (ou CHROMIUM=google-chrome) ; Liberation Sans a les dimensions d'Helvetica et d'Arial que
#   nomme la feuille de style : sans elle, le texte est plus large et la mise en page change.
# Le bilan est autonome (styles et graphiques en ligne, aucune ressource externe) : Chromium
# n'a besoin d'aucun accès réseau : les options --disable-background-networking,
# --disable-component-update, --disable-sync et --disable-quic l'empêchent de chercher les hôtes
# de Google à chaque démarrage (machine sans réseau). Les en-têtes et pieds de page (établissement, période,
# date d'arrêté, « Page n de N ») viennent de la feuille de style du bilan, pas de Chromium.
# Le PDF contient des données personnelles : il est créé en mode 0600.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage : $0 BILAN.html [SORTIE.pdf]" >&2
    exit 2
fi
html=$1
case $html in
    *.html) ;;
    *) echo "$0 : $html n'est pas un fichier .html" >&2; exit 2 ;;
esac
[ -f "$html" ] || { echo "$0 : $html introuvable" >&2; exit 2; }
pdf=${2:-${html%.html}.pdf}
chromium=${CHROMIUM:-chromium}
command -v "$chromium" >/dev/null 2>&1 || {
    echo "$0 : $chromium introuvable (apt-get install -y chromium, ou CHROMIUM=...)" >&2
    exit 2
}
if command -v fc-list >/dev/null 2>&1 && ! fc-list ':family=Liberation Sans' family | grep -q .; then
    echo "$0 : attention : police Liberation Sans absente (apt-get install -y fonts-liberation) ;" \
        "le PDF est produit avec une police plus large et sa mise en page diffère" >&2
fi

abs=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT INT TERM
umask 077
"$chromium" --headless --no-sandbox --disable-gpu --no-first-run --no-default-browser-check \
    --disable-background-networking --disable-component-update --disable-sync --disable-quic \
    --user-data-dir="$profile" --no-pdf-header-footer --run-all-compositor-stages-before-draw \
    --print-to-pdf="$pdf" "file://$abs" 2>/dev/null
[ -s "$pdf" ] || { echo "$0 : Chromium n'a pas écrit $pdf" >&2; exit 1; }
echo "$pdf"
