#!/usr/bin/env python3
"""Summarizes blkprobe.py reports: per run (in the order they ran) both dd passes in MB/s and the
CPU ticks (10 ms) the VMM's thread groups spent during the first pass.

  summarize.py OUTDIR...
"""
import re,sys,glob,os
for d in sys.argv[1:]:
    print("==",d)
    files=sorted(glob.glob(d+"/*-report.txt"),key=os.path.getmtime)
    for f in files:
        s=open(f).read()
        name=os.path.basename(f)[:-11]
        m=re.findall(r"JVMM-BLK (?:second )?dd 256\+0 records in from ([0-9.]+) to ([0-9.]+)",s)
        t=[float(b)-float(a) for a,b in m]
        th={}
        for line in s.splitlines():
            mm=re.match(r"\s*\d+ (.{24}) +(\d+) +(\d+) +(\d+) +(\d+)",line)
            if mm:
                n=mm.group(1).strip()
                k=("poll" if "devices-po" in n else "compiler" if "Compiler" in n else "vcpu" if "vcpu" in n else "doorbells" if "doorbell" in n else "scheduler" if n=="jvmm-devices" else n)
                th[k]=th.get(k,0)+int(mm.group(2))+int(mm.group(3))
        print(f"{name:18s} " + " ".join(f"{256*1.048576/x:6.0f}MB/s" for x in t) + "  cpu ticks in pass 1: " + " ".join(f"{k}={v}" for k,v in sorted(th.items(), key=lambda kv:-kv[1]) if v>=3))
