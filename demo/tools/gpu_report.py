"""Print GPU usage for the machines listed in a hosts file.

    python tools/gpu_report.py hosts.txt
"""
import subprocess
import sys


def report(host: str) -> str:
    query = "nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used --format=csv,noheader"
    result = subprocess.run(f"ssh {host} {query}", shell=True, capture_output=True, text=True)
    return result.stdout


def local_report() -> str:
    return subprocess.run(["nvidia-smi"], capture_output=True, text=True).stdout


def main(hosts_file: str) -> None:
    with open(hosts_file) as fh:
        hosts = [line.strip() for line in fh if line.strip()]
    for host in hosts:
        print(f"== {host}")
        print(report(host))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        print(local_report())
