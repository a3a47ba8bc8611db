# Independent R computation of the ordinal mixed model per item (results table
# item_ordinal), checked by tests/test_ordinal.py.
#
# Usage:
#   python tests/r_reference/make_study.py DIR
#   Rscript tests/r_reference/ordinal.R DIR tests/r_reference/expected
#
# Reads the RAW study written by make_study.py (study.yml, codebook, the wave
# exports), never impactlib's outputs; stops unless the inputs are those of
# expected/inputs.md5 (the study of reference.R). Writes to the output folder:
#   item_ordinal.csv            one row per item and pair of waves
#   item_ordinal_thresholds.csv one row per item and threshold
#   ordinal_versions.txt        R and package versions used
# Numbers are written with 15 significant digits; NA is an empty cell.
#
# Per item, on the recoded answers (a label of the scale -> its value; a
# missing-value label or an empty cell -> NA; reverse items min + max - value),
# every non-missing answer of every wave, the response a factor of the values
# given (an unused value has no threshold), wave a factor with the first wave
# as reference:
#
#   fit <- ordinal::clmm(value ~ wave + (1 | candidate), data = long,
#                        link = "logit", threshold = "flexible", nAGQ = 25)
#
# (nAGQ > 1: adaptive Gauss-Hermite quadrature; clmm's default search, nlminb
# on (thresholds, beta, sigma) with the Hessian by finite differences at the
# optimum; tighter controls, gradTol = 1e-10 and rel.tol = 1e-14, move the
# estimates by less than 1e-6 here.) Then
#   estimate  beta_to - beta_from (beta of the first wave = 0), from coef(fit);
#   se        sqrt(c' V c) with V = vcov(fit) (inverse Hessian of clmm);
#   ci        estimate -/+ qnorm(0.975) se;   p_value 2 pnorm(-|estimate / se|);
#   var_candidate  fit$ST$candidate^2;  log_sigma  log(fit$ST$candidate);
#   se_log_sigma   sqrt(V["ST1", "ST1"]): with one random intercept clmm searches
#                  log(sigma) (ordinal:::nllBase.uC: tau <- exp(par[...])), so
#                  the ST1 row of vcov() is that of log(sigma);
#   loglik    logLik(fit) (adaptive quadrature);
#   prob_higher  P(Y_to > Y_from) + P(Y_to = Y_from) / 2 for two independent
#                answers at u = 0, from plogis(theta - beta);
#   max_gradient  max|fit$gradient| at clmm's optimum (central differences).

suppressPackageStartupMessages({
  library(yaml)
  library(ordinal)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) stop("usage: Rscript ordinal.R STUDY_DIR OUT_DIR")
study_dir <- normalizePath(args[1], mustWork = TRUE)
out_dir <- args[2]
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
N_AGQ <- 25

study <- yaml::read_yaml(file.path(study_dir, "study.yml"))
wave_keys <- vapply(study$waves, function(w) w$key, "")

# The study must be the one of expected/inputs.md5 (written by reference.R).
inputs <- c("study.yml", file.path(study$codebook, c("items.csv", "scales.csv")),
            vapply(study$waves, function(w) w$file, ""))
recorded <- read.table(file.path(out_dir, "inputs.md5"), header = FALSE, sep = "",
                       col.names = c("md5", "path"), colClasses = "character")
md5 <- unname(tools::md5sum(file.path(study_dir, inputs)))
if (!identical(md5, recorded$md5[match(inputs, recorded$path)]))
  stop("the study is not the one of ", file.path(out_dir, "inputs.md5"))

read_csv_utf8 <- function(path, sep) {
  read.table(path, header = TRUE, sep = sep, quote = "\"", colClasses = "character",
             na.strings = character(0), check.names = FALSE, encoding = "UTF-8",
             fileEncoding = "UTF-8", comment.char = "", strip.white = FALSE)
}
fold <- function(s) tolower(gsub("\\s+", " ", trimws(s)))

codebook_dir <- file.path(study_dir, study$codebook)
items <- read_csv_utf8(file.path(codebook_dir, "items.csv"), ",")
scales <- read_csv_utf8(file.path(codebook_dir, "scales.csv"), ",")
items$reverse <- fold(items$reverse) %in% c("oui", "yes", "true", "vrai", "1")
scales$num <- suppressWarnings(as.integer(scales$value))

decode <- function(cells, scale) {
  sc <- scales[scales$scale == scale, ]
  answered <- sc[!is.na(sc$num), ]
  key <- fold(cells)
  v <- answered$num[match(key, fold(answered$label))]
  as_code <- suppressWarnings(as.integer(ifelse(grepl("^[0-9]+$", key), key, NA)))
  v[is.na(v) & as_code %in% answered$num] <- as_code[is.na(v) & as_code %in% answered$num]
  v
}

# long: one row per candidate x wave x item with an answer on the scale
long <- list()
for (w in study$waves) {
  sep <- if (grepl("\\.tsv$", w$file)) "\t" else ";"
  raw <- read_csv_utf8(file.path(study_dir, w$file), sep)
  ids <- fold(raw[[study$id_column]])
  for (j in seq_len(nrow(items))) {
    it <- items[j, ]
    v <- decode(raw[[it$item]], it$scale)
    sc <- scales$num[scales$scale == it$scale & !is.na(scales$num)]
    if (it$reverse) v <- min(sc) + max(sc) - v
    ok <- !is.na(v)
    long[[paste(w$key, it$item)]] <- data.frame(candidate = ids[ok], wave = w$key,
                                                item = it$item, value = v[ok],
                                                stringsAsFactors = FALSE)
  }
}
long <- do.call(rbind, long)
long$wave <- factor(long$wave, levels = wave_keys)

prob_higher <- function(theta, eta_from, eta_to) {
  cum_from <- c(plogis(theta - eta_from), 1)
  cum_to <- c(plogis(theta - eta_to), 1)
  p_from <- diff(c(0, cum_from))
  p_to <- diff(c(0, cum_to))
  sum(p_from * (1 - cum_to)) + 0.5 * sum(p_from * p_to)
}

rows <- list()
thr_rows <- list()
z <- qnorm(0.975)
for (it in items$item) {
  d <- long[long$item == it, ]
  d$value <- factor(d$value, levels = sort(unique(d$value)), ordered = TRUE)
  d$candidate <- factor(d$candidate)
  fit <- ordinal::clmm(value ~ wave + (1 | candidate), data = d, link = "logit",
                       threshold = "flexible", nAGQ = N_AGQ)
  V <- vcov(fit)
  cf <- coef(fit)
  n_thr <- nlevels(d$value) - 1
  theta <- cf[seq_len(n_thr)]
  beta <- c(0, cf[paste0("wave", wave_keys[-1])])
  names(beta) <- wave_keys
  sigma <- unname(fit$ST$candidate)
  max_gradient <- max(abs(fit$gradient))
  for (pr in combn(seq_along(wave_keys), 2, simplify = FALSE)) {
    cvec <- setNames(rep(0, length(cf)), names(cf))
    if (pr[2] > 1) cvec[paste0("wave", wave_keys[pr[2]])] <- 1
    if (pr[1] > 1) cvec[paste0("wave", wave_keys[pr[1]])] <- -1
    est <- sum(cvec * cf)
    se <- sqrt(drop(t(cvec) %*% V[names(cf), names(cf)] %*% cvec))
    rows[[paste(it, pr[1], pr[2])]] <- data.frame(
      item = it, from_wave = wave_keys[pr[1]], to_wave = wave_keys[pr[2]],
      estimate = est, se = se, ci_low = est - z * se, ci_high = est + z * se,
      p_value = 2 * pnorm(-abs(est / se)),
      prob_higher = prob_higher(theta, beta[[pr[1]]], beta[[pr[2]]]),
      n_candidates = nlevels(d$candidate), n_obs = nrow(d),
      var_candidate = sigma^2, log_sigma = log(sigma),
      se_log_sigma = sqrt(V["ST1", "ST1"]), n_agq = N_AGQ,
      max_gradient = max_gradient, loglik = as.numeric(logLik(fit)), stringsAsFactors = FALSE)
  }
  thr_rows[[it]] <- data.frame(item = it, threshold = names(theta), estimate = unname(theta),
                               se = unname(sqrt(diag(V))[names(theta)]),
                               stringsAsFactors = FALSE)
}
item_ordinal <- do.call(rbind, rows)
thresholds <- do.call(rbind, thr_rows)

write_table <- function(df, name) {
  for (col in names(df)) {
    x <- df[[col]]
    if (is.logical(x)) {
      df[[col]] <- ifelse(is.na(x), "", ifelse(x, "True", "False"))
    } else if (is.numeric(x)) {
      df[[col]] <- ifelse(is.na(x), "", sprintf("%.15g", x))
    }
  }
  write.csv(df, file.path(out_dir, paste0(name, ".csv")), row.names = FALSE, na = "",
            fileEncoding = "UTF-8", quote = TRUE)
}
write_table(item_ordinal, "item_ordinal")
write_table(thresholds, "item_ordinal_thresholds")
writeLines(c(R.version.string,
             paste("ordinal", as.character(packageVersion("ordinal")))),
           file.path(out_dir, "ordinal_versions.txt"))
cat("written to", normalizePath(out_dir), "\n")
