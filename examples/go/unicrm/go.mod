module unicrm.dev/unicrm

go 1.19
