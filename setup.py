from setuptools import find_packages, setup

setup(
    name="gesturekit",
    version="0.1.0",
    description="Turn a few minutes of webcam video into a custom hand-gesture detector "
                "that runs fast on a CPU (keras-retinanet on tf-keras, VOC tools).",
    python_requires=">=3.10,<3.13",
    packages=find_packages(include=["gesturekit*", "voc_tools*", "detector*",
                                    "sample_data*", "convert*", "runtime*",
                                    "pose*", "labeling*", "clips*", "classifier*", "posecls*"]),
    package_data={"runtime": ["cards/*.yaml"],
                  # the shipped hand detector (--weights hands) and its card
                  "detector": ["weights/hands.h5", "weights/hands.json", "weights/HANDS.md"]},
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
        "labelImg==1.8.6",
        "defusedxml",
        "pillow",
        "tqdm",
        "matplotlib",
        "pyyaml",
        "tf2onnx==1.17.0",
        "onnx",
        "onnxruntime>=1.31,<1.32",
        "openvino>=2026.4,<2026.5",
        "nncf",
    ],
    extras_require={"dev": ["pytest", "pytest-timeout",
                            # the notebooks' test runs them on this environment's kernel
                            "nbclient", "nbformat", "ipykernel"]},
    entry_points={"console_scripts": ["gesturekit=gesturekit.cli:main"]},
)
