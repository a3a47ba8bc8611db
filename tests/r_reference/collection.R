library(sandwich); library(lmtest)
# Wilson (prop.test without continuity correction)
for (xn in list(c(8,10), c(0,7), c(38,111), c(5,5))) {
  ci <- prop.test(xn[1], xn[2], correct = FALSE)$conf.int
  cat(sprintf("wilson %d/%d: %.10f %.10f\n", xn[1], xn[2], ci[1], ci[2]))
}
# Newcombe hybrid score (method 10) by hand from prop.test's Wilson limits
newc <- function(x1,n1,x2,n2){ a<-prop.test(x1,n1,correct=FALSE)$conf.int; b<-prop.test(x2,n2,correct=FALSE)$conf.int
  p1<-x1/n1; p2<-x2/n2; d<-p2-p1
  c(d, d-sqrt((p2-b[1])^2+(a[2]-p1)^2), d+sqrt((b[2]-p2)^2+(p1-a[1])^2)) }
cat(sprintf("newcombe 48/80 -> 56/70: %.10f %.10f %.10f\n", newc(48,80,56,70)[1], newc(48,80,56,70)[2], newc(48,80,56,70)[3]))
cat(sprintf("newcombe 5/56 -> 0/29: %.10f %.10f %.10f\n", newc(5,56,0,29)[1], newc(5,56,0,29)[2], newc(5,56,0,29)[3]))
# Logistic before/after with clustered SE
i <- rep(0:119, each = 2); w <- rep(c(2, 3), times = 120)
cand <- sprintf("c%03d", i); antenne <- c("Liege", "Namur", "Mons")[i %% 3 + 1]
due <- as.Date("2024-01-01") + 3 * i + ifelse(w == 3, 120, 0)
after <- as.integer(due >= as.Date("2024-07-01"))
u <- (i * 37 + w * 11 + (i %/% 7)) %% 10
answered <- as.integer(u < ifelse(after == 1, 7, 5) - (antenne == "Mons") + (w == 2))
d <- data.frame(cand, antenne, wave = factor(paste0("T", w)), after, answered)
cat(sprintf("counts before %d/%d after %d/%d\n", sum(answered[after==0]), sum(after==0), sum(answered[after==1]), sum(after==1)))
m <- glm(answered ~ after + wave + antenne, family = binomial, data = d)
V <- vcovCL(m, cluster = ~cand)
ct <- coeftest(m, vcov = V); ci <- coefci(m, vcov = V)
cat(sprintf("pooled OR %.10f [%.10f, %.10f] p %.10f\n", exp(coef(m)["after"]), exp(ci["after",1]), exp(ci["after",2]), ct["after",4]))
m2 <- glm(answered ~ after + antenne, family = binomial, data = d[d$wave=="T2",])
V2 <- vcovCL(m2, cluster = ~cand); ct2 <- coeftest(m2, vcov = V2); ci2 <- coefci(m2, vcov = V2)
cat(sprintf("T2 OR %.10f [%.10f, %.10f] p %.10f\n", exp(coef(m2)["after"]), exp(ci2["after",1]), exp(ci2["after",2]), ct2["after",4]))
