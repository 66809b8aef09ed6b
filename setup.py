from setuptools import find_packages, setup

setup(
    name="gesturekit",
    version="0.1.0",
    description="Turn a few minutes of webcam video into a custom hand-gesture detector "
                "that runs fast on a CPU (keras-retinanet on tf-keras, VOC tools).",
    python_requires=">=3.10,<3.13",
    packages=find_packages(include=["gesturekit*", "voc_tools*", "detector*",
                                    "sample_data*"]),
    py_modules=["testDetector"],
    install_requires=[
        "tensorflow>=2.21,<2.22",
        "tf-keras>=2.21,<2.22",
        "tensorboard>=2.21,<2.22",
        "keras-retinanet==1.0.0",
        "efficientnet==1.1.1",
        "numpy",
        "opencv-python",
        "lxml",
        "defusedxml",
        "pillow",
        "tqdm",
        "matplotlib",
        "pyyaml",
    ],
    extras_require={"dev": ["pytest", "pytest-timeout"]},
    entry_points={"console_scripts": ["gesturekit=gesturekit.cli:main"]},
)
